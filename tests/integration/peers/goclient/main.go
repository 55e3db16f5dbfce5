// A crawler-like Go client: N concurrent GET requests, each on a connection
// of its own (net/http, keep-alive off), with a request timeout. It logs
// one JSON line per request: what net/http returned and the local port of
// its connection when it had one, so a test can match each error line to
// what rsttrace reports for that connection.
//
//	goclient -url http://10.77.1.2:8080/ -n 300 -timeout 2.5s [-fill 40]
//
// -fill N sends N UDP datagrams of 1400 bytes to the URL's host, port 9
// (discard), right before the requests start: on a client link shaped with
// tbf they empty its bucket and the requests' SYNs queue behind them
// together. Sent from here, not by a process run before this one, because
// this process's start-up (about 0.6 s in a guest under TCG) must not eat
// into the time the datagrams hold the link.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

type result struct {
	I      int    `json:"i"`
	LPort  int    `json:"lport"` // 0: no connection was made
	Result string `json:"result"`
	Err    string `json:"err,omitempty"`
}

// The class of an error, as a user reading Go's log would name it.
func classify(err error) string {
	s := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET) || strings.Contains(s, "connection reset by peer"):
		return "reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.EPIPE):
		return "broken_pipe"
	case errors.As(err, &ne) && ne.Timeout(), strings.Contains(s, "Client.Timeout exceeded"):
		return "timeout"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	}
	return "error"
}

func main() {
	target := flag.String("url", "", "URL to GET")
	n := flag.Int("n", 300, "concurrent requests")
	timeout := flag.Duration("timeout", 2500*time.Millisecond, "request timeout")
	fill := flag.Int("fill", 0, "UDP datagrams to the URL's host:9 before the requests")
	flag.Parse()

	tr := &http.Transport{DisableKeepAlives: true, MaxIdleConnsPerHost: -1}
	client := &http.Client{Transport: tr, Timeout: *timeout}
	out := json.NewEncoder(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := result{I: i}
			trace := &httptrace.ClientTrace{
				GotConn: func(info httptrace.GotConnInfo) {
					if a, ok := info.Conn.LocalAddr().(*net.TCPAddr); ok {
						mu.Lock()
						r.LPort = a.Port
						mu.Unlock()
					}
				},
			}
			req, _ := http.NewRequest("GET", *target, nil)
			req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
			<-start
			resp, err := client.Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Result, r.Err = classify(err), err.Error()
			} else {
				r.Result = "ok"
			}
			out.Encode(r)
		}(i)
	}
	if *fill > 0 {
		if err := sendFill(*target, *fill); err != nil {
			fmt.Fprintln(os.Stderr, "goclient: fill:", err)
			os.Exit(1)
		}
	}
	close(start)
	wg.Wait()
	fmt.Println(`{"done":true}`)
}

func sendFill(target string, count int) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	dst, err := net.ResolveUDPAddr("udp", net.JoinHostPort(u.Hostname(), "9"))
	if err != nil {
		return err
	}
	// Unconnected: the port unreachable answers do not fail later writes.
	conn, err := net.ListenUDP("udp", nil)
	if err != nil {
		return err
	}
	defer conn.Close()
	buf := make([]byte, 1400)
	for i := 0; i < count; i++ {
		if _, err := conn.WriteToUDP(buf, dst); err != nil {
			return err
		}
	}
	return nil
}
