package testenv

import (
	"net"
	"testing"
)

// HangUp listens on 127.0.0.1 and closes every connection as soon as it
// is made: a server that drops its clients. It returns its address and
// stops with the test.
func HangUp(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}
