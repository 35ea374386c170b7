package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cop/forms"
	"cop/platform/malware"
)

// ClamdOptions configures a private clamd.
type ClamdOptions struct {
	// Dir holds its configuration, its signature database (db/), its log
	// and its pid file (e.g. .data/clamd).
	Dir  string
	Port int
	Log  *slog.Logger
}

// ClamdProcess is a running clamd, a child process of this one.
type ClamdProcess struct {
	Address string // 127.0.0.1:port
	LogPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// clamdBin is where Debian's clamav-daemon puts the daemon.
const clamdBin = "/usr/sbin/clamd"

// StreamMaxLength is the most clamd takes in one INSTREAM: more than the
// largest upload a form may allow (forms.MaxFileSize), so every upload is
// scanned whole.
const StreamMaxLength = forms.MaxFileSize + 1<<20

// StartClamd writes a configuration and a signature database for the
// EICAR test file under Dir and starts clamd on 127.0.0.1:Port, waiting
// until it answers PING (loading signatures takes seconds). ClamAV's own
// databases are never downloaded: freshclam is not started. Like
// PostgreSQL, clamd runs in its own process group and is told to stop if
// this process dies.
func StartClamd(ctx context.Context, opt ClamdOptions) (*ClamdProcess, error) {
	if err := clamdInstalled(opt.Log); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opt.Dir)
	if err != nil {
		return nil, err
	}
	conf, err := writeClamdFiles(dir, opt.Port)
	if err != nil {
		return nil, err
	}
	c := &ClamdProcess{Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(opt.Port)), LogPath: filepath.Join(dir, "clamd.log"),
		exited: make(chan struct{})}
	if err := c.start(conf, dir); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// Scanner is a client for this clamd.
func (c *ClamdProcess) Scanner(timeout time.Duration) *malware.Clamd {
	return &malware.Clamd{Address: c.Address, Timeout: timeout}
}

// Stop asks clamd to shut down and waits for it.
func (c *ClamdProcess) Stop() error {
	if c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	select {
	case <-c.exited:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		return nil
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return errors.New("clamd did not stop within 10s and was killed")
	}
}

// clamdInstalled installs Debian's clamav-daemon when clamd is missing
// and this process may (root), as `make clamav` does.
func clamdInstalled(log *slog.Logger) error {
	if isExecutable(clamdBin) {
		return nil
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("ClamAV's clamd is not installed at %s: install it (Debian: sudo apt-get install clamav-daemon)", clamdBin)
	}
	log.Info("clamd not found; installing Debian's clamav-daemon package")
	if err := aptInstall("clamav-daemon"); err != nil {
		return fmt.Errorf("install clamav-daemon with apt-get: %w", err)
	}
	if !isExecutable(clamdBin) {
		return fmt.Errorf("apt-get installed clamav-daemon but %s is still missing", clamdBin)
	}
	return nil
}

// writeClamdFiles writes Dir/clamd.conf and Dir/db/eicar.hdb, returning
// the configuration's path.
func writeClamdFiles(dir string, port int) (string, error) {
	db := filepath.Join(dir, "db")
	if err := os.MkdirAll(db, 0o755); err != nil {
		return "", fmt.Errorf("create clamd folder %s: %w", db, err)
	}
	if err := os.WriteFile(filepath.Join(db, "eicar.hdb"), malware.EICARDatabase(), 0o644); err != nil {
		return "", fmt.Errorf("write clamd signatures: %w", err)
	}
	conf := filepath.Join(dir, "clamd.conf")
	if err := os.WriteFile(conf, []byte(clamdConf(dir, port)), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", conf, err)
	}
	return conf, nil
}

// clamdConf is a configuration for a clamd of one's own, as production
// should run it: archives and documents unpacked within limits, and what
// cannot be read (encrypted, past a limit) reported rather than passed.
func clamdConf(dir string, port int) string {
	lines := []string{
		"Foreground yes",
		"TCPSocket " + strconv.Itoa(port),
		"TCPAddr 127.0.0.1",
		"DatabaseDirectory " + filepath.Join(dir, "db"),
		"LogFile " + filepath.Join(dir, "clamd.log"),
		"LogTime yes",
		"PidFile " + filepath.Join(dir, "clamd.pid"),
		fmt.Sprintf("StreamMaxLength %dK", StreamMaxLength>>10),
		"MaxScanSize 200M", // of everything unpacked from one file
		"MaxFileSize 100M", // of one file in it
		"MaxRecursion 16",  // archives in archives
		"MaxFiles 10000",   // files in one archive
		"AlertExceedsMax yes",
		"AlertEncrypted yes",
		// A damaged program is not malware: telling an officer it is a
		// virus would be wrong. Signatures still find real malware in
		// programs, and a question that names its file types refuses them.
		"AlertBrokenExecutables no",
		// One small database: no reloads to watch for.
		"SelfCheck 0",
	}
	if os.Geteuid() == 0 {
		// Debian's clamd otherwise drops to the clamav account, which may
		// not reach Dir.
		if u, err := user.Current(); err == nil {
			lines = append(lines, "User "+u.Username)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func (c *ClamdProcess) start(conf, dir string) error {
	logFile, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open clamd log %s: %w", c.LogPath, err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	cmd := exec.Command(clamdBin, "--config-file="+conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start clamd: %w", err)
	}
	c.cmd = cmd
	go func() { _ = cmd.Wait(); close(c.exited) }()
	return nil
}

func (c *ClamdProcess) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	ping := &malware.Clamd{Address: c.Address, Timeout: 2 * time.Second}
	for {
		select {
		case <-c.exited:
			return fmt.Errorf("clamd exited during start-up; see %s:\n%s", c.LogPath, tail(c.LogPath, 8))
		default:
		}
		err := ping.Ping(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("clamd did not answer on %s within 2m: %w (log: %s)", c.Address, err, c.LogPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
