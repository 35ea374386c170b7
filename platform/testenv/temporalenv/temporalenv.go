// Package temporalenv gives a test binary one in-memory Temporal server
// (go.temporal.io/server/temporaltest), started on first use and stopped by
// Main. Each test uses its own task queue, so tests do not see each other's
// work.
package temporalenv

import (
	"crypto/rand"
	"encoding/hex"
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

// TaskQueue is a task queue name unique to this test.
func TaskQueue(t testing.TB) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "test-" + hex.EncodeToString(b)
}

// Stop stops the server if one was started; call it after m.Run().
func Stop() {
	if server != nil {
		server.Stop()
	}
}
