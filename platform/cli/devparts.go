package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"cop/platform/devstack"
)

// The parts of a cluster as processes of their own, from the same binary
// as cop serve (one build, one large link): a Temporal server on
// PostgreSQL and the development OpenID provider. make cluster runs them
// with two web and two worker replicas of cop serve.

// listFlag is a flag given once per value.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// devTemporal runs a Temporal server that keeps history in PostgreSQL,
// until SIGINT or SIGTERM.
func devTemporal(args []string, stderr io.Writer) error {
	fs := newFlags("dev temporal")
	pgURL := fs.String("postgres", "", "PostgreSQL URL of Temporal's database (postgres://user:pass@host:5432/temporal); NAME_visibility beside it")
	port := fs.Int("port", 7233, "the frontend's port")
	shards := fs.Int("shards", devstack.PostgresShards, "history shards (fixed when the database is first set up)")
	namespace := fs.String("namespace", "default", "the namespace to register")
	dataDir := fs.String("data", filepath.Join(defaultDataDir(), "temporal-pg"), "folder for the services' ports and the server's log")
	if err := fs.Parse(args); err != nil || *pgURL == "" || fs.NArg() > 0 {
		return errUsage
	}
	log := newLogger(stderr, "text", "info")
	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", *dataDir, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	srv, err := devstack.StartTemporal(devstack.TemporalOptions{Postgres: *pgURL, Shards: *shards, Namespace: *namespace,
		FrontendPort: *port, PortsFile: filepath.Join(*dataDir, "ports.json"), LogFile: filepath.Join(*dataDir, "temporal.log")})
	if err != nil {
		return err
	}
	log.Info("Temporal ready", "frontend", srv.HostPort, "namespace", *namespace, "shards", *shards,
		"log", filepath.Join(*dataDir, "temporal.log"), "took", time.Since(start).Round(time.Millisecond))
	<-ctx.Done()
	log.Info("Temporal stopping")
	return srv.Stop()
}

// devOIDC runs the development OpenID provider until SIGINT or SIGTERM.
func devOIDC(args []string, stderr io.Writer) error {
	fs := newFlags("dev oidc")
	port := fs.Int("port", 8081, "the provider's port (its issuer is http://localhost:PORT)")
	var apps listFlag
	fs.Var(&apps, "app", "a COP web replica's public URL, whose /auth/callback and /signed-out the provider allows (repeat for each)")
	if err := fs.Parse(args); err != nil || len(apps) == 0 || fs.NArg() > 0 {
		return errUsage
	}
	log := newLogger(stderr, "text", "info")
	ln, err := listenPort(*port, "development OpenID provider", "--port")
	if err != nil {
		return err
	}
	var redirects, logouts []string
	for _, a := range apps {
		a = strings.TrimSuffix(a, "/")
		redirects, logouts = append(redirects, a+"/auth/callback"), append(logouts, a+"/signed-out")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	op, err := devstack.StartOIDC(devstack.OIDCOptions{Listener: ln, RedirectURIs: redirects, PostLogoutURIs: logouts, Log: log})
	if err != nil {
		return err
	}
	log.Info("OpenID provider ready", "issuer", op.Issuer, "client", devstack.DevClientID, "audience", devstack.DevAPIAudience)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return op.Stop(sctx)
}
