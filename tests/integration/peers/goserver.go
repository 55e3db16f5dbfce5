// A Go listener that never accepts, for cases_limits.py: Go passes
// net.core.somaxconn as its listen() backlog, read once per process.
//
//	goserver ADDR SECONDS
//
// Prints "listening" once net.Listen returned, then holds the listener
// SECONDS seconds (bounded) and exits.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goserver ADDR SECONDS")
		os.Exit(2)
	}
	secs, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp4", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("listening")
	time.Sleep(time.Duration(secs * float64(time.Second)))
	ln.Close()
}
