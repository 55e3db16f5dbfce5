// A Go listener for cases_limits.py: Go passes net.core.somaxconn as its
// listen() backlog, read once per process.
//
//	goserver ADDR SECONDS [INTERVAL]
//
// Prints "listening" once net.Listen returned, then holds the listener
// SECONDS seconds (bounded) and exits. Without INTERVAL it never accepts.
// With INTERVAL (seconds) it is a net/http server whose listener accepts
// one connection every INTERVAL, however long the queue (a server too slow
// for its clients), and, at the end, prints the ground truth the test
// compares rsttrace with, as slow_accept.py does:
//
//	accepts T1,T2,...  the CLOCK_MONOTONIC time of every accept() (s)
//	waits W1,W2,...    how long each connection had waited (s): the kernel's
//	                   own clock, TCP_INFO's tcpi_last_ack_recv and
//	                   tcpi_last_data_recv (ms since the handshake completed,
//	                   for a connection that sent nothing since; the smaller
//	                   of the two), "-" for one no longer ESTABLISHED
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

const tcpEstablished = 1

func monotonic() float64 {
	var ts syscall.Timespec

	// CLOCK_MONOTONIC (1): the clock of the test's client and of time.monotonic().
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1, uintptr(unsafe.Pointer(&ts)), 0)
	return float64(ts.Sec) + float64(ts.Nsec)/1e9
}

// waited: seconds since the connection's handshake completed, per TCP_INFO; < 0 if unknown.
func waited(c net.Conn) float64 {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return -1
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return -1
	}
	w := -1.0
	raw.Control(func(fd uintptr) {
		var info syscall.TCPInfo
		size := uint32(unsafe.Sizeof(info))
		_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP,
			syscall.TCP_INFO, uintptr(unsafe.Pointer(&info)), uintptr(unsafe.Pointer(&size)), 0)
		if e != 0 || info.State != tcpEstablished {
			return
		}
		ms := info.Last_data_recv
		if info.Last_ack_recv < ms {
			ms = info.Last_ack_recv
		}
		w = float64(ms) / 1000
	})
	return w
}

// slowListener accepts one connection every interval and records each.
type slowListener struct {
	net.Listener
	interval time.Duration
	mu       sync.Mutex
	next     time.Time
	accepts  []float64
	waits    []float64
	conns    []net.Conn
}

func (l *slowListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// The next accept() INTERVAL after the last one, however long the queue.
	if d := time.Until(l.next); d > 0 {
		time.Sleep(d)
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepts = append(l.accepts, monotonic())
	l.waits = append(l.waits, waited(c))
	l.conns = append(l.conns, c)
	l.next = time.Now().Add(l.interval)
	return c, nil
}

func (l *slowListener) report() {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := make([]string, len(l.accepts))
	w := make([]string, len(l.waits))
	for i := range l.accepts {
		a[i] = strconv.FormatFloat(l.accepts[i], 'f', 6, 64)
		if l.waits[i] < 0 {
			w[i] = "-"
		} else {
			w[i] = strconv.FormatFloat(l.waits[i], 'f', 3, 64)
		}
	}
	fmt.Println("accepts " + strings.Join(a, ","))
	fmt.Println("waits " + strings.Join(w, ","))
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: goserver ADDR SECONDS [INTERVAL]")
		os.Exit(2)
	}
	secs, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil || secs > 60 {
		fmt.Fprintln(os.Stderr, "SECONDS: a number up to 60")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp4", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("listening")
	if len(os.Args) == 3 {
		time.Sleep(time.Duration(secs * float64(time.Second)))
		ln.Close()
		return
	}
	interval, err := strconv.ParseFloat(os.Args[3], 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sl := &slowListener{Listener: ln, interval: time.Duration(interval * float64(time.Second))}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})}
	go srv.Serve(sl)
	time.Sleep(time.Duration(secs * float64(time.Second)))
	// Stop accepting first: the figures are final once the listener is closed.
	ln.Close()
	sl.report()
	for _, c := range sl.conns {
		c.Close()
	}
}
