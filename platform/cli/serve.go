package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"cop/platform/config"
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
