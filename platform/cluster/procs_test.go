package cluster_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildCOP builds the cop binary the processes run, into the test's
// temporary folder: the same `go build` as make build.
func buildCOP(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "ui", "static", "VERSION")); err != nil {
		t.Fatal("the cluster test needs ui/static: run `make test` or `make cluster` (they build GOV.UK Frontend's assets)")
	}
	bin := filepath.Join(t.TempDir(), "cop")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is one process of the cluster: its command line and environment,
// kept so it can be started again after a kill.
type proc struct {
	t    *testing.T
	name string
	bin  string
	args []string
	env  []string
	// ready is a line the process logs once it serves; empty: wait for
	// readyURL instead.
	ready    string
	readyURL string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// start runs the process and waits until it says it is ready.
func (p *proc) start() {
	p.t.Helper()
	logPath := filepath.Join(logDir(p.t), p.name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout = f
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	seen := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			if p.ready != "" && strings.Contains(line, p.ready) {
				once.Do(func() { close(seen) })
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); _ = pw.Close(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done, p.log = cmd, done, f
	p.mu.Unlock()
	p.t.Cleanup(func() { p.kill(); _ = f.Close() })

	deadline := time.After(3 * time.Minute)
	for {
		if p.readyURL != "" {
			if resp, err := http.Get(p.readyURL); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
		}
		select {
		case <-seen:
			return
		case <-done:
			p.t.Fatalf("%s exited before it was ready; its log is %s:\n%s", p.name, logPath, tail(logPath))
		case <-deadline:
			p.t.Fatalf("%s not ready after 3 minutes; its log is %s:\n%s", p.name, logPath, tail(logPath))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// pid is the running process's id.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// kill9 kills the process at once, as a crash would.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop asks the process to stop (SIGTERM) and waits for it, killing it
// after a minute.
func (p *proc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(time.Minute):
		p.t.Errorf("%s did not stop within a minute of SIGTERM", p.name)
		p.kill()
	}
}

var (
	logDirOnce sync.Once
	logDirPath string
)

// logDir keeps the processes' logs: under .data/cluster/ (kept, for
// reading after a failure), one folder per run.
func logDir(t *testing.T) string {
	logDirOnce.Do(func() {
		root, _ := filepath.Abs(filepath.Join("..", "..", ".data", "cluster"))
		_ = os.MkdirAll(root, 0o755)
		logDirPath, _ = os.MkdirTemp(root, time.Now().Format("20060102-150405-"))
	})
	if logDirPath == "" {
		t.Fatal("cannot make a folder for the cluster's logs")
	}
	// One folder a test, so that one test clearing its own logs leaves
	// the others'.
	dir := filepath.Join(logDirPath, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("make a folder for %s's logs: %v", t.Name(), err)
	}
	return dir
}

// clearLogsUnlessFailed removes a test's logs when it passes, and the
// run's folder once it is empty; a failed test's stay, and it says where.
func clearLogsUnlessFailed(t *testing.T) {
	dir := logDir(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the processes' logs are in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
		_ = os.Remove(filepath.Dir(dir)) // only when no other test's logs are left
	})
}

// tail is the end of a log, for a failure message.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// waitFor polls cond until it holds or the context ends.
func waitFor(ctx context.Context, every time.Duration, cond func() bool) bool {
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(every):
		}
	}
}
