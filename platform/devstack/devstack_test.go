package devstack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func tempDir(t *testing.T) string {
	// Short, and reachable by the unprivileged PostgreSQL account when root.
	d, err := os.MkdirTemp("/tmp", "copdev-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(d, 0o755)
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func port(t *testing.T) int {
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A cluster keeps its data across a stop and start, and a postmaster.pid
// left by a crash (its process gone, or its pid reused by another program)
// does not stop the next start.
func TestPostgresRestartsOverStalePIDFile(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "postgres")
	opt := PostgresOptions{Dir: dir, Port: port(t), Log: quiet()}
	pg, err := StartPostgres(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := pg.CreateDatabase(ctx, "cop"); err != nil {
		t.Fatal(err)
	}
	exec1(t, pg.URL("cop"), `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')`)
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}

	for _, stalePID := range []int{deadPID(t), os.Getpid()} {
		pidFile := filepath.Join(pg.DataDir, "postmaster.pid")
		content := fmt.Sprintf("%d\n%s\n1700000000\n%d\n", stalePID, pg.DataDir, opt.Port)
		if err := os.WriteFile(pidFile, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		pg, err = StartPostgres(ctx, opt)
		if err != nil {
			t.Fatalf("start over a stale pid file (pid %d): %v", stalePID, err)
		}
		var v string
		conn, err := pgx.Connect(ctx, pg.URL("cop"))
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.QueryRow(ctx, `SELECT v FROM kept`).Scan(&v)
		conn.Close(ctx)
		if v != "survives" {
			t.Fatalf("data lost across restart: %q", v)
		}
		// A second start on a running cluster is refused, naming the pid.
		if _, err := StartPostgres(ctx, PostgresOptions{Dir: dir, Port: port(t), Log: quiet()}); err == nil || !strings.Contains(err.Error(), "already running") {
			t.Fatalf("second start on a running cluster: %v", err)
		}
		if err := pg.Stop(); err != nil {
			t.Fatal(err)
		}
	}
}

// If the process that started PostgreSQL dies without stopping it (killed),
// PostgreSQL shuts itself down: no server outlives cop.
func TestPostgresDoesNotOutliveItsParent(t *testing.T) {
	if os.Getenv("COP_PG_CHILD_DIR") != "" {
		pg, err := StartPostgres(context.Background(), PostgresOptions{Dir: os.Getenv("COP_PG_CHILD_DIR"), Port: mustAtoi(os.Getenv("COP_PG_CHILD_PORT")), Log: quiet()})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		fmt.Println("PID", pg.cmd.Process.Pid)
		time.Sleep(time.Minute)
		return
	}
	dir := filepath.Join(tempDir(t), "postgres")
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostgresDoesNotOutliveItsParent$")
	cmd.Env = append(os.Environ(), "COP_PG_CHILD_DIR="+dir, "COP_PG_CHILD_PORT="+strconv.Itoa(port(t)))
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pgPID int
	buf := make([]byte, 4096)
	deadline := time.Now().Add(60 * time.Second)
	var seen string
	for pgPID == 0 && time.Now().Before(deadline) {
		n, err := out.Read(buf)
		seen += string(buf[:n])
		if i := strings.Index(seen, "PID "); i >= 0 && strings.Contains(seen[i:], "\n") {
			pgPID = mustAtoi(strings.TrimSpace(strings.SplitN(seen[i+4:], "\n", 2)[0]))
		}
		if err != nil {
			break
		}
	}
	if pgPID == 0 {
		t.Fatalf("child did not start PostgreSQL: %s", seen)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	for i := 0; i < 100; i++ {
		if syscall.Kill(pgPID, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pgPID, syscall.SIGQUIT)
	t.Fatalf("PostgreSQL (pid %d) still runs 10s after its parent was killed", pgPID)
}

// A workflow started on the file-backed server is still there after the
// server stops and starts again on the same file.
// The file is in WAL mode (its header's format bytes are 2, where a
// rollback journal's are 1): the pragmas reached SQLite.
func TestTemporalPersistsAcrossRestart(t *testing.T) {
	file := filepath.Join(tempDir(t), "temporal.db")
	persistsAcrossRestart(t, TemporalOptions{DBFile: file})
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	header := make([]byte, 20)
	if _, err := io.ReadFull(f, header); err != nil {
		t.Fatal(err)
	}
	if header[18] != 2 || header[19] != 2 {
		t.Errorf("Temporal's SQLite file has format bytes %d/%d, not WAL's 2/2", header[18], header[19])
	}
}

// The same on PostgreSQL, the engine's production persistence: its
// databases are created and their schemas set up by Temporal's own
// tooling at the first start and found as they are at the second, with
// four history shards.
func TestTemporalOnPostgresPersistsAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := tempDir(t)
	pg, err := StartPostgres(ctx, PostgresOptions{Dir: filepath.Join(dir, "postgres"), Port: port(t), Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	persistsAcrossRestart(t, TemporalOptions{Postgres: pg.URL("temporal"), PortsFile: filepath.Join(dir, "ports.json")})
	for db, table := range map[string]string{"temporal": "shards", "temporal_visibility": "executions_visibility"} {
		conn, err := pgx.Connect(ctx, pg.URL(db))
		if err != nil {
			t.Fatal(err)
		}
		var version string
		var rows int
		if err := conn.QueryRow(ctx, `SELECT curr_version FROM schema_version`).Scan(&version); err != nil || version == "" || version == "0.0" {
			t.Errorf("%s's schema version %q (%v): not updated past the initial one", db, version, err)
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&rows); err != nil {
			t.Errorf("%s.%s: %v", db, table, err)
		}
		if db == "temporal" && rows != PostgresShards {
			t.Errorf("%d history shards, want %d", rows, PostgresShards)
		}
		conn.Close(ctx)
	}
}

func persistsAcrossRestart(t *testing.T, opt TemporalOptions) {
	ctx := context.Background()
	start := func() (*Temporal, client.Client) {
		srv, err := StartTemporal(opt)
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.Dial(client.Options{HostPort: srv.HostPort, Logger: nopLogger{}})
		if err != nil {
			t.Fatal(err)
		}
		return srv, c
	}
	srv, c := start()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "case-1", TaskQueue: "nobody-polls"}, "cop.ping", "hello")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	srv, c = start()
	defer srv.Stop()
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, "case-1", run.GetRunID())
	if err != nil {
		t.Fatalf("workflow lost across restart: %v", err)
	}
	if s := desc.WorkflowExecutionInfo.Status; s != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Errorf("status after restart %v", s)
	}
}

func exec1(t *testing.T, url, sql string) {
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

type nopLogger struct{}

func (nopLogger) Debug(string, ...any) {}
func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Warn(string, ...any)  {}
func (nopLogger) Error(string, ...any) {}

// FreePort stays out of the kernel's ephemeral range, which outgoing
// connections draw from between the pick and the bind.
func TestFreePortIsBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		p := port(t)
		if p < 10000 || p >= low {
			t.Fatalf("port %d is outside 10000..%d", p, low-1)
		}
		if !portFree(p) {
			t.Fatalf("port %d is not free", p)
		}
	}
}
