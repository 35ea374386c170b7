package devstack

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// AwaitOrphanedPostgres lets a `cop dev` killed with SIGKILL be started
// again at once. Its PostgreSQL was told to stop when its parent died (a
// fast shutdown: connections end, a checkpoint is written), which can take
// seconds under load; meanwhile the cluster and its port are still taken.
// A server on dir whose parent is no longer a `cop` process is such an
// orphan: it is asked to stop again, and waited for, up to within.
// A server whose `cop` parent is alive is left alone (StartPostgres then
// says that another `cop dev` runs).
func AwaitOrphanedPostgres(dir string, within time.Duration, log *slog.Logger) error {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	pid := livePostmaster(dir)
	if pid == 0 || copParent(pid) {
		return nil
	}
	log.Info("waiting for the PostgreSQL of an earlier cop dev, which was killed, to shut down", "pid", pid, "cluster", dir)
	_ = syscall.Kill(pid, syscall.SIGINT)
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the PostgreSQL left by an earlier cop dev (pid %d) is still running on %s after %s; stop it (kill %d) and start again", pid, dir, within, pid)
}

// livePostmaster is the pid in dir's postmaster.pid when that process is a
// postgres serving dir, else 0.
func livePostmaster(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if pid <= 0 {
		return 0
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if !bytes.Contains(cmdline, []byte("postgres")) || !bytes.Contains(cmdline, []byte(dir)) {
		return 0
	}
	return pid
}

// copParent reports whether pid's parent is a running `cop` program.
func copParent(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ppid …; comm may hold spaces, so read after ")".
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 2 {
		return false
	}
	ppid, _ := strconv.Atoi(fields[1])
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", ppid))
	if err != nil {
		return false
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	return filepath.Base(string(argv0)) == "cop"
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}
