package devstack

import (
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// TemporalOptions configures the embedded Temporal server.
type TemporalOptions struct {
	// DBFile persists history in this SQLite file (created with its schema on
	// first start). Empty means in memory, gone when the process ends.
	DBFile string
	// Postgres, when set, persists history in PostgreSQL instead, the
	// engine's production persistence: the URL's database and the same
	// name with _visibility are created when missing and their schemas set
	// up and updated with Temporal's own SQL tooling (temporalPostgres).
	Postgres string
	// Shards is how many history shards the server has (default 1, or 4
	// on PostgreSQL). It is fixed when the database is first set up.
	Shards int
	// PortsFile remembers the services' ports between starts (default
	// DBFile.ports.json; none for an in-memory server).
	PortsFile    string
	FrontendPort int // 0 picks a free port
	Namespace    string
	// LogFile receives the server's own (verbose) log at warn level and
	// above; empty silences it.
	LogFile string
}

// Temporal is the real Temporal server, running inside this process.
type Temporal struct {
	server   temporal.Server
	HostPort string
}

// StartTemporal assembles the server from Temporal's public packages the way
// its own temporaltest "lite" server does, but on a SQLite file so cases
// survive a restart of `cop dev`. Only the frontend port is fixed; the other
// services use free ports, the same ones again at the next start when they
// are free.
func StartTemporal(opt TemporalOptions) (*Temporal, error) {
	if opt.Namespace == "" {
		opt.Namespace = "default"
	}
	frontend := opt.FrontendPort
	if frontend == 0 {
		p, err := FreePort()
		if err != nil {
			return nil, err
		}
		frontend = p
	}
	if opt.Postgres != "" {
		return startOnPostgres(opt, frontend)
	}
	sqlCfg := config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: map[string]string{},
		DatabaseName:      opt.DBFile,
	}
	if opt.DBFile == "" {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		sqlCfg.DatabaseName = "cop-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	} else {
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		// Pragmas are named as the SQLite plugin passes them on (without
		// go-sqlite3's leading underscore: those were ignored unseen, and
		// the file ran with a rollback journal). WAL: a commit appends to
		// the log, and readers do not wait for the writer. synchronous
		// NORMAL syncs the log at checkpoints, not at every commit: a
		// killed process loses nothing committed (the log is in the
		// operating system's hands); a power cut may lose the last
		// moments. Measured on the whole-case load: rollback journal
		// 15.3 cases/s, WAL FULL 24.8, WAL NORMAL 28.8 (docs/benchmarks.md).
		// Production runs Temporal on PostgreSQL.
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "NORMAL"
		sqlCfg.ConnectAttributes["busy_timeout"] = "10000"
		if err := os.MkdirAll(filepath.Dir(opt.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("create Temporal data folder: %w", err)
		}
		if _, err := os.Stat(opt.DBFile); os.IsNotExist(err) {
			if err := sqlite.SetupSchema(&sqlCfg); err != nil {
				return nil, fmt.Errorf("set up Temporal schema in %s: %w", opt.DBFile, err)
			}
		}
	}
	ns, err := sqlite.NewNamespaceConfig("active", opt.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("configure Temporal namespace: %w", err)
	}
	if err := sqlite.CreateNamespaces(&sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("create Temporal namespace %q: %w", opt.Namespace, err)
	}

	portsFile := opt.PortsFile
	if portsFile == "" && opt.DBFile != "" {
		portsFile = opt.DBFile + ".ports.json"
	}
	cfg, err := serverConfig(sqlCfg, sqlCfg, frontend, portsFile)
	if err != nil {
		return nil, err
	}
	cfg.Persistence.NumHistoryShards = max(1, int32(opt.Shards))
	return startServer(cfg, opt)
}

// startServer starts the server cfg describes and waits until every
// service serves.
func startServer(cfg *config.Config, opt TemporalOptions) (*Temporal, error) {
	var logger tlog.Logger = tlog.NewNoopLogger()
	if opt.LogFile != "" {
		logger = tlog.NewZapLogger(tlog.BuildZapLogger(tlog.Config{Level: "warn", Format: "json", OutputFile: opt.LogFile}))
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// History shards and the namespace cache refresh quickly so a
			// fresh server is usable within seconds, as in temporaltest.
			dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key(): true,
			dynamicconfig.NamespaceCacheRefreshInterval.Key():         time.Second,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("assemble Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start Temporal server: %w", err)
	}
	// Start returns before every service serves: a server stopped then
	// (a `cop workflows run` that ends at once) lets a service's serving
	// goroutine find its listener gone, and the process panics. Wait until
	// every service answers on its port.
	if err := waitServing(cfg, 30*time.Second); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return &Temporal{server: srv, HostPort: cfg.PublicClient.HostPort}, nil
}

// waitServing waits until each service of cfg accepts connections on its
// gRPC port.
func waitServing(cfg *config.Config, within time.Duration) error {
	deadline := time.Now().Add(within)
	for name, svc := range cfg.Services {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(svc.RPC.GRPCPort))
		for {
			c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				_ = c.Close()
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("Temporal's %s service did not start serving on %s within %s: %w", name, addr, within, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// Stop shuts the server down.
func (t *Temporal) Stop() error { return t.server.Stop() }

// serverConfig assigns each service its ports. With a ports file (a
// persisted server) the ports of the last start are reused while free: the
// cluster membership table outlives the process, and a restarted service
// on new ports is a stranger whom the old, dead member's entry shadows
// until it expires (about a minute in which task queues route to nobody
// and instances from before the restart make no progress).
func serverConfig(sqlCfg, visibility config.SQL, frontend int, portsFile string) (*config.Config, error) {
	saved := map[string]int{}
	if portsFile != "" {
		if b, err := os.ReadFile(portsFile); err == nil {
			_ = json.Unmarshal(b, &saved)
		}
	}
	port := func(key string) (int, error) {
		if p := saved[key]; p > 0 && portFree(p) {
			return p, nil
		}
		p, err := FreePort()
		saved[key] = p
		return p, err
	}
	services := map[string]config.Service{}
	for _, name := range []string{"frontend", "history", "matching", "worker"} {
		grpc, membership := frontend, 0
		var err error
		if name != "frontend" {
			if grpc, err = port(name + ".grpc"); err != nil {
				return nil, err
			}
		}
		if membership, err = port(name + ".membership"); err != nil {
			return nil, err
		}
		services[name] = config.Service{RPC: config.RPC{
			GRPCPort: grpc, MembershipPort: membership, BindOnIP: "127.0.0.1",
		}}
	}
	if portsFile != "" {
		b, _ := json.Marshal(saved)
		if err := os.WriteFile(portsFile, b, 0o644); err != nil {
			return nil, fmt.Errorf("remember Temporal's ports: %w", err)
		}
	}
	hostPort := net.JoinHostPort("127.0.0.1", strconv.Itoa(frontend))
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: "127.0.0.1"},
		},
		Persistence: config.Persistence{
			DefaultStore:     "default",
			VisibilityStore:  "visibility",
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{"default": {SQL: &sqlCfg}, "visibility": {SQL: &visibility}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}, nil
}

// portFree reports whether a loopback port can be bound now.
func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// FreePort finds an unused loopback port for a server to bind a moment
// later. It picks below the kernel's ephemeral range: a port the kernel
// hands out (":0") is also what it gives the next outgoing connection,
// and an embedded Temporal whose port a connection took meanwhile dies
// (its services panic on a nil listener). Only when no port below the
// range is free does it fall back to asking the kernel.
func FreePort() (int, error) {
	low := ephemeralLow()
	for range 200 {
		p := 10000 + mrand.IntN(low-10000)
		if portFree(p) {
			return p, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux
// says it in ip_local_port_range; 32768 is its default elsewhere).
func ephemeralLow() int {
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if low, err := strconv.Atoi(f[0]); err == nil && low > 11000 {
				return low
			}
		}
	}
	return 32768
}
