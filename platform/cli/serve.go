package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"cop/platform/config"
	"cop/platform/store"
)

// serve is production mode: everything from the environment, no dev
// component ever started. A missing or malformed setting stops start-up
// with one line naming it.
func serve(args []string, stderr io.Writer) error {
	fs := newFlags("serve")
	only := fs.String("only", "", "run only the web server (web) or only the worker (worker)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	switch *only {
	case "":
	case "web":
		cfg.RunWeb, cfg.RunWorker = true, false
	case "worker":
		cfg.RunWeb, cfg.RunWorker = false, true
	default:
		return errUsage
	}
	log := newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runPlatform(ctx, cfg, log, nil, nil)
}

// migrate applies the database migrations and exits, for a deploy's
// migration Job; it needs DATABASE_URL alone.
func migrate(args []string, stderr io.Writer) error {
	if len(args) > 0 {
		return errUsage
	}
	dsn := os.Getenv("DATABASE_URL")
	if dsn == "" {
		return errors.New("DATABASE_URL is required but not set")
	}
	log := newLogger(stderr, "json", "info")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	pool, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool); err != nil {
		return err
	}
	log.Info("migrations applied")
	return nil
}
