// Package devstack starts the real components `cop dev` and the tests run on:
// a private PostgreSQL cluster, the Temporal server in-process, and a
// development OpenID provider. Nothing here is used by `cop serve`.
package devstack

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresOptions configures a private cluster.
type PostgresOptions struct {
	// Dir is where the cluster lives (e.g. .data/postgres). When running as
	// root and the unprivileged server user cannot reach Dir, the cluster is
	// kept under /var/lib/cop instead and Dir becomes a symbolic link to it.
	Dir  string
	Port int
	// Fast trades durability for speed (fsync off): for throwaway test clusters only.
	Fast bool
	Log  *slog.Logger
}

// Postgres is a running private cluster, a child process of this one.
type Postgres struct {
	DataDir  string // where the cluster really is
	Port     int
	user     string // superuser name
	password string
	cmd      *exec.Cmd
	exited   chan struct{}
	logPath  string
}

const pgSuperuser = "cop"

// StartPostgres creates the cluster on first use and starts it on
// 127.0.0.1:Port. The server runs in its own process group (Ctrl-C reaches
// only cop, which then stops it in order) and is told to shut down if this
// process dies, so no server is ever left behind.
func StartPostgres(ctx context.Context, opt PostgresOptions) (*Postgres, error) {
	bin, err := postgresBinDir(opt.Log)
	if err != nil {
		return nil, err
	}
	runAs, err := serverUser()
	if err != nil {
		return nil, err
	}
	dataDir, err := placeDataDir(opt.Dir, runAs, opt.Log)
	if err != nil {
		return nil, err
	}
	pg := &Postgres{DataDir: dataDir, Port: opt.Port, user: pgSuperuser, exited: make(chan struct{})}
	if pg.password, err = clusterPassword(opt.Dir + ".password"); err != nil {
		return nil, err
	}
	if err := initCluster(bin, dataDir, pg.password, runAs, opt.Log); err != nil {
		return nil, err
	}
	if err := clearStalePID(dataDir, opt.Log); err != nil {
		return nil, err
	}
	pg.logPath = filepath.Join(filepath.Dir(opt.Dir), "postgres.log")
	if err := pg.start(bin, runAs, opt.Fast); err != nil {
		return nil, err
	}
	if err := pg.waitReady(ctx); err != nil {
		_ = pg.Stop()
		return nil, err
	}
	return pg, nil
}

// URL returns a connection URL for database db.
func (p *Postgres) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(p.user, p.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// LogPath is the server's log file.
func (p *Postgres) LogPath() string { return p.logPath }

// CreateDatabase creates db if it does not exist.
func (p *Postgres) CreateDatabase(ctx context.Context, db string) error {
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to private PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, db).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", db, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		return fmt.Errorf("create database %q: %w", db, err)
	}
	return nil
}

// Stop asks the server for a fast shutdown (in-flight transactions roll
// back, data is kept) and waits for it to exit.
func (p *Postgres) Stop() error {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	select {
	case <-p.exited:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGQUIT)
		<-p.exited
		return errors.New("PostgreSQL did not stop within 30s and was told to quit immediately")
	}
}

func (p *Postgres) start(bin, runAs string, fast bool) error {
	logFile, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open PostgreSQL log %s: %w", p.logPath, err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	args := []string{"-D", p.DataDir, "-p", strconv.Itoa(p.Port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + socketDir(p.DataDir),
		"-c", "max_connections=200",
	}
	if fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = p.DataDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := asUser(cmd, runAs); err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start PostgreSQL: %w", err)
	}
	p.cmd = cmd
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return nil
}

func (p *Postgres) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("PostgreSQL exited during start-up; see %s:\n%s", p.logPath, tail(p.logPath, 8))
		default:
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, p.URL("postgres"))
		cancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("PostgreSQL did not accept connections on 127.0.0.1:%d within 60s: %w (log: %s)", p.Port, err, p.logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// postgresBinDir finds a directory holding both initdb and postgres:
// /usr/lib/postgresql/*/bin (newest first), then next to initdb on PATH.
// When none exists and we are root, Debian's postgresql package is installed.
func postgresBinDir(log *slog.Logger) (string, error) {
	if dir := findBinDir(); dir != "" {
		return dir, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found on PATH or under /usr/lib/postgresql/*/bin; install PostgreSQL (Debian: apt-get install postgresql)")
	}
	log.Info("PostgreSQL not found; installing Debian's postgresql package")
	if err := aptInstall("postgresql"); err != nil {
		return "", fmt.Errorf("install PostgreSQL with apt-get: %w", err)
	}
	if dir := findBinDir(); dir != "" {
		return dir, nil
	}
	return "", errors.New("apt-get installed postgresql but initdb and postgres are still not found")
}

func findBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			dirs = append(dirs, filepath.Dir(real))
		}
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "postgres")) {
			return d
		}
	}
	return ""
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// aptInstall installs Debian packages without prompts and, for postgresql,
// without the package's own "main" cluster (COP runs its own).
func aptInstall(pkgs ...string) error {
	_ = os.MkdirAll("/etc/postgresql-common", 0o755)
	if _, err := os.Stat("/etc/postgresql-common/createcluster.conf"); os.IsNotExist(err) {
		_ = os.WriteFile("/etc/postgresql-common/createcluster.conf", []byte("create_main_cluster = false\n"), 0o644)
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	run := func(args ...string) error {
		cmd := exec.Command("apt-get", args...)
		cmd.Env, cmd.Stdout, cmd.Stderr = env, os.Stderr, os.Stderr
		return cmd.Run()
	}
	if err := run(append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...); err == nil {
		return nil
	}
	if err := run("update"); err != nil {
		return err
	}
	return run(append([]string{"install", "-y", "--no-install-recommends"}, pkgs...)...)
}

// serverUser is the account PostgreSQL runs as: ourselves, or when we are
// root (which PostgreSQL refuses) the "postgres" account.
func serverUser() (string, error) {
	if os.Geteuid() != 0 {
		return "", nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		if _, err := user.Lookup(name); err == nil {
			return name, nil
		}
	}
	return "", errors.New("running as root, but there is no unprivileged 'postgres' account to run PostgreSQL as")
}

func asUser(cmd *exec.Cmd, name string) error {
	if name == "" {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("look up user %s: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	cmd.Env = append(os.Environ(), "HOME="+u.HomeDir, "USER="+name, "LC_ALL=C.UTF-8")
	return nil
}

// placeDataDir returns the real cluster directory. When running as root the
// server account must be able to reach it; if it cannot reach dir (a
// checkout under a 0700 home), the cluster goes to /var/lib/cop/<hash> with
// dir as a symbolic link to it.
func placeDataDir(dir, runAs string, log *slog.Logger) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(abs), err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	} else if runAs != "" && !reachable(filepath.Dir(abs), runAs) {
		sum := sha256.Sum256([]byte(abs))
		real := filepath.Join("/var/lib/cop", hex.EncodeToString(sum[:6]), "postgres")
		if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
			return "", fmt.Errorf("create %s: %w", filepath.Dir(real), err)
		}
		if err := os.Symlink(real, abs); err != nil {
			return "", fmt.Errorf("link %s to %s: %w", abs, real, err)
		}
		log.Info("the PostgreSQL account cannot reach the checkout; cluster kept elsewhere", "cluster", real, "link", abs)
		abs = real
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("create cluster directory %s: %w", abs, err)
	}
	if runAs != "" {
		if err := chownTree(abs, runAs); err != nil {
			return "", err
		}
		if !reachable(abs, runAs) {
			return "", fmt.Errorf("the %s account cannot reach %s; make its parent folders world-searchable (chmod o+x) or set COP_DATA_DIR", runAs, abs)
		}
	}
	return abs, nil
}

// reachable reports whether account name can search every folder down to dir.
func reachable(dir, name string) bool {
	u, err := user.Lookup(name)
	if err != nil {
		return false
	}
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return false
		}
		sys := st.Sys().(*syscall.Stat_t)
		ok := st.Mode()&0o001 != 0 || (strconv.Itoa(int(sys.Uid)) == u.Uid && st.Mode()&0o100 != 0)
		if !ok {
			return false
		}
		if d == "/" || d == "." {
			return true
		}
	}
}

func chownTree(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// clusterPassword reads the superuser password kept beside the cluster,
// creating it on first start.
func clusterPassword(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	pw := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write cluster password %s: %w", path, err)
	}
	return pw, nil
}

func initCluster(bin, dataDir, password, runAs string, log *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		return nil
	}
	// The password file sits beside the cluster: initdb wants an empty directory.
	pwFile := dataDir + ".initpw"
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwFile)
	if runAs != "" {
		if err := chownTree(pwFile, runAs); err != nil {
			return err
		}
	}
	log.Info("creating private PostgreSQL cluster", "dir", dataDir)
	cmd := exec.Command(filepath.Join(bin, "initdb"), "-D", dataDir, "--username="+pgSuperuser, "--pwfile="+pwFile,
		"--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions")
	cmd.Dir = dataDir
	if err := asUser(cmd, runAs); err != nil {
		return err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", dataDir, err, out)
	}
	return nil
}

// clearStalePID removes a postmaster.pid whose process is gone (a crash or
// power cut), and refuses to start when a server really runs on the cluster.
func clearStalePID(dataDir string, log *slog.Logger) error {
	pidFile := filepath.Join(dataDir, "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", pidFile, err)
	}
	lines := strings.Split(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(lines[0]))
	if pid > 0 {
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if strings.Contains(string(cmdline), "postgres") && strings.Contains(string(cmdline), dataDir) {
			return fmt.Errorf("PostgreSQL is already running on %s (pid %d), probably another `cop dev`; stop it first", dataDir, pid)
		}
	}
	log.Info("removing stale postmaster.pid left by a run that did not stop cleanly", "file", pidFile, "pid", pid)
	return os.Remove(pidFile)
}

// socketDir keeps the Unix socket path under the kernel's 107-byte limit.
func socketDir(dataDir string) string {
	if len(dataDir)+len("/.s.PGSQL.65535") < 100 {
		return dataDir
	}
	return "/tmp"
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
