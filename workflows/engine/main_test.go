package engine

import (
	"os"
	"testing"

	"cop/platform/testenv/temporalenv"
)

// TestMain stops the shared in-memory Temporal server (if a test or
// benchmark started one) once the package's tests have run.
func TestMain(m *testing.M) {
	code := m.Run()
	temporalenv.Stop()
	os.Exit(code)
}
