package main

import (
	"bufio"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveLimited serves the fixture's app with limits on a real listener on
// 127.0.0.1 and returns its address.
func serveLimited(t *testing.T, f *fixture, l serverLimits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(f.srv.Config.Handler, l, log.New(testWriter{t}, "server: ", 0))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// closedWithin reads conn until the server closes it, and fails the test
// if that takes longer than d. It returns what the server wrote.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %v", d)
	}
	return string(b)
}

// TestServerLimits: a connection that sends a header and then no body is
// closed by the server after the read timeout; so is one that stays idle
// after a request; a huge header is refused.
func TestServerLimits(t *testing.T) {
	f := newFixture(t, appConfig{})
	addr := serveLimited(t, f, serverLimits{
		ReadHeader: time.Second, Read: 200 * time.Millisecond, Write: 2 * time.Second,
		Idle: 200 * time.Millisecond, MaxHeaderBytes: 4 << 10,
	})
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}

	// The header promises a body that never comes.
	conn := dial()
	io.WriteString(conn, "POST /send HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
	if out := closedWithin(t, conn, 5*time.Second); out != "" && !strings.HasPrefix(out, "HTTP/1.1 400 ") {
		t.Errorf("answer %q", out)
	}

	// A kept-alive connection is closed once idle.
	conn = dial()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+addr+"\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("GET /: status %d, close %v", resp.StatusCode, resp.Close)
	}
	closedWithin(t, conn, 5*time.Second)

	// A huge header is refused.
	conn = dial()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: "+addr+"\r\nX-Junk: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
	if out := closedWithin(t, conn, 5*time.Second); !strings.HasPrefix(out, "HTTP/1.1 431 ") {
		t.Errorf("huge header: answer %.40q", out)
	}
}

func TestDefaultLimits(t *testing.T) {
	l := defaultLimits
	if l.ReadHeader <= 0 || l.Read <= 0 || l.Idle <= 0 || l.MaxHeaderBytes <= 0 || l.Write <= sendTimeout {
		t.Errorf("limits %+v (the write timeout must leave room for a send of %v)", l, sendTimeout)
	}
}
