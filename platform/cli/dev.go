package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cop/platform/config"
	"cop/platform/devstack"
)

// devState is what a running `cop dev` writes to .data/dev.json, so other
// commands (`cop dev token`, `cop audit verify`) can find it.
type devState struct {
	PID         int    `json:"pid"`
	PublicURL   string `json:"publicUrl"`
	Issuer      string `json:"issuer"`
	DatabaseURL string `json:"databaseUrl"`
	Temporal    string `json:"temporal"`
	Clamd       string `json:"clamd"`
}

func defaultDataDir() string {
	if d := os.Getenv("COP_DATA_DIR"); d != "" {
		return d
	}
	return ".data"
}

func readDevState(dataDir string) (devState, error) {
	var st devState
	b, err := os.ReadFile(filepath.Join(dataDir, "dev.json"))
	if err != nil {
		return st, fmt.Errorf("read %s: %w", filepath.Join(dataDir, "dev.json"), err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read %s: %w", filepath.Join(dataDir, "dev.json"), err)
	}
	if st.PID <= 0 || syscall.Kill(st.PID, 0) != nil {
		return st, fmt.Errorf("the `cop dev` that wrote %s (pid %d) is not running", filepath.Join(dataDir, "dev.json"), st.PID)
	}
	return st, nil
}

// devPorts are the fixed ports `cop dev` needs, each overridable.
type devPorts struct {
	web, temporal, oidc, postgres, smtp int
}

func readDevPorts() (devPorts, error) {
	p := devPorts{web: 8080, temporal: 7233, oidc: 8081, postgres: 55432, smtp: 1025}
	for _, v := range []struct {
		env string
		dst *int
	}{{"PORT", &p.web}, {"TEMPORAL_PORT", &p.temporal}, {"COP_DEV_OIDC_PORT", &p.oidc}, {"COP_DEV_PG_PORT", &p.postgres},
		{"COP_DEV_SMTP_PORT", &p.smtp}} {
		if s := os.Getenv(v.env); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 65535 {
				return p, fmt.Errorf("%s must be a TCP port number (1-65535), got %q", v.env, s)
			}
			*v.dst = n
		}
	}
	return p, nil
}

// listenPort binds 127.0.0.1:port, naming the port and its setting if taken.
func listenPort(port int, what, env string) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("port %d (%s, set %s to change it) is already in use", port, what, env)
	}
	return ln, nil
}

// dev runs the whole platform on one machine: a private PostgreSQL cluster,
// the Temporal server in-process on a SQLite file, the development OpenID
// provider, the web server and the worker. Ctrl-C stops everything.
func dev(args []string, stderr io.Writer) error {
	fs := newFlags("dev")
	dataDir := fs.String("data", defaultDataDir(), "folder for the cluster, Temporal's database and state")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ports, err := readDevPorts()
	if err != nil {
		return err
	}
	log := newLogger(stderr, "text", "info")
	if err := os.MkdirAll(*dataDir, 0o755); err != nil {
		return fmt.Errorf("create data folder %s: %w", *dataDir, err)
	}
	data, _ := filepath.Abs(*dataDir)

	// A cop dev killed a moment ago may leave its PostgreSQL shutting down.
	if err := devstack.AwaitOrphanedPostgres(filepath.Join(data, "postgres"), time.Minute, log); err != nil {
		return err
	}
	// Bind or probe every fixed port before starting anything, so a busy
	// port is reported at once and nothing is left half-started.
	webLn, err := listenPort(ports.web, "web server", "PORT")
	if err != nil {
		return err
	}
	defer webLn.Close()
	oidcLn, err := listenPort(ports.oidc, "development OpenID provider", "COP_DEV_OIDC_PORT")
	if err != nil {
		return err
	}
	defer oidcLn.Close() // closing again after the provider's shutdown is harmless
	for _, p := range []struct {
		port      int
		what, env string
	}{{ports.temporal, "Temporal frontend", "TEMPORAL_PORT"}, {ports.postgres, "PostgreSQL", "COP_DEV_PG_PORT"},
		{ports.smtp, "development mail server", "COP_DEV_SMTP_PORT"}} {
		ln, err := listenPort(p.port, p.what, p.env)
		if err != nil {
			return err
		}
		ln.Close()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start := time.Now()

	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(data, "postgres"), Port: ports.postgres, Log: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := pg.Stop(); err != nil {
			log.Error("stopping PostgreSQL", "err", err)
		}
		log.Info("PostgreSQL stopped")
	}()
	if err := pg.CreateDatabase(ctx, "cop"); err != nil {
		return err
	}
	log.Info("PostgreSQL ready", "addr", "127.0.0.1:"+strconv.Itoa(ports.postgres), "cluster", pg.DataDir, "log", pg.LogPath())

	tmp, err := devstack.StartTemporal(devstack.TemporalOptions{DBFile: filepath.Join(data, "temporal.db"), FrontendPort: ports.temporal,
		LogFile: filepath.Join(data, "temporal.log")})
	if err != nil {
		return err
	}
	defer func() {
		if err := tmp.Stop(); err != nil {
			log.Error("stopping Temporal", "err", err)
		}
		log.Info("Temporal stopped")
	}()
	log.Info("Temporal ready", "frontend", tmp.HostPort, "namespace", "default", "db", filepath.Join(data, "temporal.db"), "log", filepath.Join(data, "temporal.log"))

	// Uploads are scanned by a real clamd knowing one signature, EICAR's:
	// the real thing, without downloading ClamAV's databases.
	clamdPort, err := devstack.FreePort()
	if err != nil {
		return err
	}
	clamd, err := devstack.StartClamd(ctx, devstack.ClamdOptions{Dir: filepath.Join(data, "clamd"), Port: clamdPort, Log: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := clamd.Stop(); err != nil {
			log.Error("stopping clamd", "err", err)
		}
		log.Info("clamd stopped")
	}()
	log.Info("clamd ready (EICAR test signature only)", "addr", clamd.Address, "log", clamd.LogPath)

	// Email goes to a real SMTP server here, which keeps each message
	// in the data folder for `cop dev mail`.
	catcher, err := devstack.StartMailCatcher(net.JoinHostPort("127.0.0.1", strconv.Itoa(ports.smtp)), filepath.Join(data, "mail"), nil)
	if err != nil {
		return err
	}
	defer catcher.Close()
	log.Info("mail server ready", "addr", catcher.Addr, "mail", catcher.Dir)

	publicURL := &url.URL{Scheme: "http", Host: "localhost:" + strconv.Itoa(ports.web)}
	op, err := devstack.StartOIDC(devstack.OIDCOptions{
		Listener:       oidcLn,
		RedirectURIs:   []string{publicURL.String() + "/auth/callback"},
		PostLogoutURIs: []string{publicURL.String() + "/signed-out"},
		Log:            log,
	})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = op.Stop(sctx)
	}()

	cfg := config.Defaults()
	cfg.PublicURL = publicURL
	cfg.DatabaseURL = pg.URL("cop")
	cfg.Temporal.Address = tmp.HostPort
	cfg.OIDC.Issuer = op.Issuer
	cfg.OIDC.ClientID = devstack.DevClientID
	cfg.OIDC.ClientSecret = devstack.DevClientSecret
	cfg.OIDC.Audience = devstack.DevAPIAudience
	cfg.LoadExamples = true
	cfg.CallAllowlist = config.DevCallAllowlist
	cfg.PlainHTTPWebhooks = true // receivers on this machine, such as a test's
	cfg.OpsListenAddr = ""       // one port on a developer's machine: /metrics beside the pages
	cfg.DrainDelay = 0           // no load balancer to tell: Ctrl-C stops at once
	cfg.Clamd.Address = clamd.Address
	cfg.Mail = config.Mail{SMTPURL: "smtp://" + catcher.Addr + "?tls=none", From: "COP (development) <cop@localhost>"}
	if err := config.DevLimits(&cfg, os.Getenv); err != nil {
		return err
	}

	st := devState{PID: os.Getpid(), PublicURL: publicURL.String(), Issuer: op.Issuer, DatabaseURL: cfg.DatabaseURL, Temporal: tmp.HostPort,
		Clamd: clamd.Address}
	stateFile := filepath.Join(data, "dev.json")
	b, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(stateFile, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", stateFile, err)
	}
	defer os.Remove(stateFile)

	err = runPlatform(ctx, cfg, log, webLn, func() {
		printBanner(stderr, st, time.Since(start))
	})
	stop()
	return err
}

func printBanner(w io.Writer, st devState, took time.Duration) {
	var users []string
	for _, u := range devstack.DemoUsers {
		users = append(users, fmt.Sprintf("    %-14s %s (team %s)", u.Username, strings.Join(u.Roles, ", "), strings.Join(u.Teams, ", ")))
	}
	fmt.Fprintf(w, `
  COP is running (started in %s)

  Web:             %s
  Readiness:       %s/readyz
  OpenID provider: %s
  Temporal:        %s (namespace default)
  PostgreSQL:      %s
  clamd:           %s (EICAR test signature only)

  Demo users (password for all: %s):
%s

  API token:  bin/cop dev token --role author
  Ctrl-C stops everything; data stays in .data/ for the next start.

`, took.Round(100*time.Millisecond), st.PublicURL, st.PublicURL, st.Issuer, st.Temporal, redactPassword(st.DatabaseURL), st.Clamd,
		devstack.DevPassword, strings.Join(users, "\n"))
}

func redactPassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	return u.Redacted()
}

// devToken prints an access token for a demo user, obtained from the running
// dev provider through a real authorization code grant with PKCE.
func devToken(args []string, stdout io.Writer) error {
	fs := newFlags("dev token")
	role := fs.String("role", "", "officer, supervisor, author, integrator or admin")
	dataDir := fs.String("data", defaultDataDir(), "cop dev's data folder")
	if err := fs.Parse(args); err != nil || *role == "" {
		return errUsage
	}
	user, ok := devstack.UserForRole(*role)
	if !ok {
		var names []string
		for _, u := range devstack.DemoUsers {
			names = append(names, u.Username)
		}
		return fmt.Errorf("no demo user for role %q; choose one of %s", *role, strings.Join(names, ", "))
	}
	st, err := readDevState(*dataDir)
	if err != nil {
		return fmt.Errorf("start `make run` (cop dev) first: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := devstack.Token(ctx, st.Issuer, st.PublicURL+"/auth/callback", user.Username, devstack.DevPassword)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok.AccessToken)
	return nil
}

// devMail lists the messages the development mail server kept, newest
// first; with --show N, prints the Nth in full.
func devMail(args []string, stdout io.Writer) error {
	fs := newFlags("dev mail")
	dataDir := fs.String("data", defaultDataDir(), "the data folder of cop dev")
	show := fs.Int("show", 0, "print the Nth message (1: the newest) in full")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := filepath.Join(*dataDir, "mail")
	mails, err := devstack.CaughtMails(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	if *show > 0 {
		if *show > len(mails) {
			return fmt.Errorf("there are %d messages in %s", len(mails), dir)
		}
		m := mails[*show-1]
		fmt.Fprintf(stdout, "From: %s\nTo: %s\nSubject: %s\nDate: %s\nFile: %s\n\n%s", m.Header.Get("From"), m.To, m.Subject,
			m.Header.Get("Date"), m.Path, m.Body)
		return nil
	}
	if len(mails) == 0 {
		fmt.Fprintf(stdout, "no mail yet in %s\n", dir)
		return nil
	}
	for i, m := range mails {
		fmt.Fprintf(stdout, "%3d  %s  %-40s  %s\n     %s\n", i+1, m.Received.Local().Format("2006-01-02 15:04:05"), m.To, m.Subject, m.Path)
	}
	return nil
}
