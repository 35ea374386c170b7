// Package temporalenv gives a test binary one in-memory Temporal server
// (go.temporal.io/server/temporaltest), started on first use and stopped by
// testenv.Main(m, temporalenv.Stop).
package temporalenv

import (
	"sync"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
)

var (
	once   sync.Once
	server *temporaltest.TestServer
)

// Server returns the binary's Temporal server.
func Server(t testing.TB) *temporaltest.TestServer {
	t.Helper()
	once.Do(func() { server = temporaltest.NewServer() })
	return server
}

// Client returns a client of the default namespace.
func Client(t testing.TB) client.Client {
	return Server(t).GetDefaultClient()
}

// Namespace is the namespace Client's client works in.
func Namespace(t testing.TB) string {
	return Server(t).GetDefaultNamespace()
}

// Stop stops the server if one was started; call it after m.Run().
func Stop() {
	if server != nil {
		server.Stop()
	}
}
