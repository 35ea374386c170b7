package testenv

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"cop/platform/devstack"
	"cop/platform/malware"
)

var (
	clamdOnce sync.Once
	clamd     *devstack.ClamdProcess
	clamdDir  string
	clamdErr  error
)

// ScanTimeout is the tests' bound on one scan: generous, as a shared
// machine's clamd is slow under the whole suite.
const ScanTimeout = 30 * time.Second

// Clamd is a client of the test binary's clamd, started on first use (it
// takes seconds to load its signatures) with the EICAR signature only,
// and stopped by Main.
func Clamd(t testing.TB) *malware.Clamd {
	t.Helper()
	clamdOnce.Do(startClamd)
	if clamdErr != nil {
		t.Fatalf("start test clamd: %v", clamdErr)
	}
	return clamd.Scanner(ScanTimeout)
}

func startClamd() {
	clamdDir, clamdErr = os.MkdirTemp("/tmp", "copclamd-")
	if clamdErr != nil {
		return
	}
	port, err := FreePort()
	if err != nil {
		clamdErr = err
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clamd, clamdErr = devstack.StartClamd(ctx, devstack.ClamdOptions{Dir: filepath.Join(clamdDir, "clamd"), Port: port, Log: Log()})
}

// stopClamd stops the binary's clamd, if one was started.
func stopClamd() {
	if clamd != nil {
		_ = clamd.Stop()
	}
	if clamdDir != "" {
		_ = os.RemoveAll(clamdDir)
	}
}
