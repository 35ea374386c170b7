package cli

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"cop/forms/examples"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/config"
	"cop/platform/definitions"
	"cop/platform/directory"
	"cop/platform/events"
	"cop/platform/inbound"
	"cop/platform/instances"
	"cop/platform/mail"
	"cop/platform/malware"
	"cop/platform/registry"
	"cop/platform/replicas"
	"cop/platform/reports"
	repexamples "cop/platform/reports/examples"
	"cop/platform/store"
	"cop/platform/tasks"
	"cop/platform/web"
	"cop/platform/webhooks"
	"cop/workflows"
	"cop/workflows/engine"
	wfexamples "cop/workflows/examples"
)

// runPlatform runs COP's web server and worker against the configured
// PostgreSQL, Temporal and OpenID provider; `cop serve` and `cop dev` both
// call it, and differ only in where those come from. It starts what cfg asks for and blocks until ctx ends, then shuts
// down gracefully: the web server drains in-flight requests, the worker
// finishes its tasks. ln, if given, is the web listener already bound.
func runPlatform(ctx context.Context, cfg config.Config, log *slog.Logger, ln net.Listener, started func()) error {
	pool, err := store.OpenPool(ctx, cfg.DatabaseURL, int32(cfg.DBMaxConns))
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool); err != nil {
		return err
	}
	replica, diffs, err := replicas.Register(ctx, pool, replicas.Settings{"TEMPORAL_NAMESPACE": cfg.Temporal.Namespace,
		"TEMPORAL_TASK_QUEUE": cfg.Temporal.TaskQueue, "OIDC_ISSUER": cfg.OIDC.Issuer, "COP_EVENT_SOURCE": eventSource(cfg)})
	if err != nil {
		return err
	}
	for _, d := range diffs {
		log.Error("this replica's configuration differs from another's", "problem", d)
	}
	tc, err := temporalClient(cfg.Temporal, log)
	if err != nil {
		return err
	}
	defer tc.Close()
	authn := auth.NewAuthenticator(cfg.OIDC, cfg.Session, cfg.PublicURL, pool)
	defs := definitions.New(pool)
	cs := cases.New(pool, defs)
	if cfg.Clamd.Address != "" {
		cs.Scanner = &malware.Clamd{Address: cfg.Clamd.Address, Timeout: cfg.Clamd.Timeout}
		cs.Log = log.With("component", "malware-scan")
	} else {
		log.Warn("no virus scanner: every upload will be refused until COP_CLAMD_ADDRESS names a clamd")
	}
	insts := instances.New(pool, defs, cs, tc, cfg.Temporal.TaskQueue)
	insts.Log, insts.Namespace = log, cfg.Temporal.Namespace
	inbox := tasks.New(pool, defs, tc)
	cs.Instances, cs.Tasks = insts, inbox // a case's timeline, asked of its owners
	cs.Starts = insts                     // a start form's workflows are decided in its submission's transaction
	inbox.Cases, cs.Amending = cs, inbox  // corrections a workflow asks for are tasks that store submissions
	dir := directory.New(pool)
	inbox.Directory = dir
	hooks := web.NewWebhooks(pool, dir, cs, insts, defs, webhooks.Config{Source: eventSource(cfg),
		Allow: engine.ParseAllowlist(cmp.Or(cfg.WebhookAllowlist, cfg.CallAllowlist)), RequireHTTPS: !cfg.PlainHTTPWebhooks, Schedule: cfg.WebhookSchedule,
		Log: log.With("component", "webhooks")})
	sender, err := mailSender(cfg.Mail)
	if err != nil {
		return err
	}
	if sender == nil {
		log.Warn("no mail sender: notifications sent by email will fail, visibly (set COP_SMTP_URL or COP_NOTIFY_API_KEY)")
	}
	mailer := mail.New(pool, dir, mail.Config{Sender: sender, PublicURL: cfg.PublicURL.String(), Attempts: cfg.Mail.Attempts,
		Undelivered: inbox.RecordUndelivered, Log: log.With("component", "mail")})
	eventsIn := inbound.New(pool, cfg.EventRetention)
	eventsIn.Instances, eventsIn.Starters, eventsIn.Log = insts, insts, log.With("component", "events-in")
	insts.Senders = eventsIn // listens follow their workflow's senders
	reps := reports.New(pool, defs)
	reps.Timeout, reps.MaxRows = cfg.ReportTimeout, cfg.ReportMaxRows
	if cfg.LoadExamples {
		if err := loadExamples(ctx, pool, defs, reps, log); err != nil {
			return err
		}
	}

	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	replicaDone := make(chan struct{})
	go func() { defer close(replicaDone); replica.Run(bg) }()
	defer func() { stopBG(); <-replicaDone }()
	go watchStrangers(bg, tc, cfg.Temporal, replica, log)
	// Every replica delivers events; the outbox shares the work out.
	dispatcher := &events.Dispatcher{Pool: pool, Source: eventSource(cfg), Log: log.With("component", "events")}
	for _, s := range Subscribers(cs, insts, hooks, mailer) {
		dispatcher.Register(s)
	}
	if err := dispatcher.Start(bg); err != nil {
		return err
	}
	defer func() { stopBG(); dispatcher.Wait() }()
	// Every replica sends webhooks; deliveries are claimed one replica at a time.
	hooksDone := make(chan struct{})
	go func() { defer close(hooksDone); hooks.Run(bg) }()
	defer func() { stopBG(); <-hooksDone }()
	// Every replica signals routed events; each route is claimed by one.
	routerDone := make(chan struct{})
	go func() { defer close(routerDone); eventsIn.Run(bg) }()
	defer func() { stopBG(); <-routerDone }()
	// Every replica runs a sealer; an advisory lock lets one work at a time.
	go every(bg, 500*time.Millisecond, "audit sealer", log, func(ctx context.Context) error {
		_, err := audit.Seal(ctx, pool)
		return err
	})
	go every(bg, 5*time.Minute, "session sweep", log, authn.Sweep)
	if cs.Scanner != nil {
		// Files stored before uploads were scanned; each replica takes
		// its own, and the scanner down leaves them for the next minute.
		scanPending := func(ctx context.Context) error {
			n, err := cs.ScanPending(ctx, 200)
			if n != (cases.Scanned{}) {
				log.Info("files stored before scanning were scanned", "clean", n.Clean, "infected", n.Infected, "unscannable", n.Unscannable)
			}
			return err
		}
		go func() {
			// At once after an upgrade, then each minute: "not yet
			// scanned" should not last.
			if err := scanPending(bg); err != nil && bg.Err() == nil {
				log.Error("scan of files stored before scanning failed; retrying in a minute", "err", err)
			}
			every(bg, time.Minute, "scan of files stored before scanning", log, scanPending)
		}()
	}
	go every(bg, 15*time.Minute, "retention sweep", log, func(ctx context.Context) error {
		n, err := cs.Sweep(ctx, cases.Retention(cfg.Retention))
		if err != nil {
			return err
		}
		expired, err := eventsIn.Sweep(ctx)
		if err != nil {
			return err
		}
		uploads, err := defs.SweepUploads(ctx)
		if n != (cases.Swept{}) || expired > 0 || uploads > 0 {
			log.Info("retention sweep", "drafts", n.Drafts, "files", n.Files, "idempotency_keys", n.IdempotencyKeys, "inbound_events", expired,
				"authoring_uploads", uploads)
		}
		return err
	})

	serveErr := make(chan error, 2) // the web server and the operations listener
	var srv *web.Server
	if cfg.RunWeb {
		if srv, err = web.New(web.Deps{Pool: pool, Auth: authn, Temporal: tc, PublicURL: cfg.PublicURL, Log: log, Definitions: defs, Cases: cs,
			Instances: insts, Tasks: inbox, Directory: dir, Webhooks: hooks, Inbound: eventsIn, Reports: reps, TaskQueue: cfg.Temporal.TaskQueue, OpsListener: cfg.OpsListenAddr != "",
			Limits:         web.Limits{PerCaller: cfg.RateLimit, Anonymous: cfg.RateLimitAnonymous},
			TrustedProxies: cfg.TrustedProxies}); err != nil {
			return err
		}
		if ln == nil {
			if ln, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
				return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
			}
		}
		go func() { serveErr <- srv.Serve(ln) }()
		log.Info("web server listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL.String())
		if cfg.OpsListenAddr != "" {
			stop, err := serveOps(cfg.OpsListenAddr, srv.OpsApp(), serveErr, log)
			if err != nil {
				return err
			}
			defer stop()
		}
	}
	polling := &workerState{}
	if cfg.RunWorker {
		acts := &engine.Activities{
			Client:   &http.Client{Timeout: 5 * time.Minute},
			Allow:    engine.ParseAllowlist(cfg.CallAllowlist),
			Platform: &instances.Store{Pool: pool, Defs: defs, Listens: eventsIn},
		}
		// A worker whose start failed cannot start again (the SDK keeps
		// the failure), so each attempt builds a new one. A deploy stops
		// it: calls in flight get the shutdown timeout to finish, and one
		// cut short is retried elsewhere.
		newWorker := func() worker.Worker {
			w := worker.New(tc, cfg.Temporal.TaskQueue, worker.Options{WorkerStopTimeout: cfg.ShutdownTimeout, Identity: replica.WorkerIdentity()})
			acts.Register(w)
			return w
		}
		polling.set(errors.New("the worker is starting"))
		go startWorker(bg, newWorker, cfg.Temporal, log, polling)
		if !cfg.RunWeb && cfg.OpsListenAddr != "" {
			// A worker-only replica still answers its probes.
			stop, err := serveOps(cfg.OpsListenAddr, web.WorkerOpsApp(pool, tc, polling.get, log), serveErr, log)
			if err != nil {
				return err
			}
			defer stop()
		}
	}
	if started != nil {
		started()
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if err != nil {
			return fmt.Errorf("web server: %w", err)
		}
	}
	if srv != nil && cfg.DrainDelay > 0 {
		// Readiness goes false first; requests keep being answered until
		// the load balancer has noticed and stopped sending them.
		srv.Drain()
		log.Info("stopping: readiness is false, still serving", "for", cfg.DrainDelay.String())
		time.Sleep(cfg.DrainDelay)
	}
	log.Info("shutting down: draining requests and worker tasks")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if srv != nil {
		if err := srv.Shutdown(sctx); err != nil {
			log.Error("web server did not drain in time", "err", err)
		}
	}
	if w := polling.worker(); w != nil {
		w.Stop()
	}
	stopBG()
	// One last seal, so rows written while draining do not wait for the next start.
	if _, err := audit.Seal(sctx, pool); err != nil {
		log.Error("final audit seal failed", "err", err)
	}
	return nil
}

// Subscribers are every in-process event subscriber, as cop serve (and
// the tests' server) registers them: a new one is a line here.
func Subscribers(cs *cases.Service, insts *instances.Service, hooks *webhooks.Service, mailer *mail.Service) []events.Subscriber {
	return []events.Subscriber{
		insts.StartSubscriber(),  // a start form's submission starts its workflows
		cs.AccessSubscriber(),    // a form's submissions follow its latest version's readers
		insts.AccessSubscriber(), // and a workflow's instances its
		hooks.Subscriber(),       // integrators' webhook subscriptions get their deliveries
		mailer.Subscriber(),      // notifications sent by email
	}
}

// mailSender is the configured way email goes, or nil for none.
func mailSender(c config.Mail) (mail.Sender, error) {
	switch {
	case c.SMTPURL != "":
		return mail.ParseSMTP(c.SMTPURL, c.From)
	case c.NotifyAPIKey != "":
		return mail.NewNotify(c.NotifyAPIKey, c.NotifyTemplateID, c.NotifyBaseURL)
	}
	return nil, nil
}

// eventSource names this installation in the events it announces.
func eventSource(cfg config.Config) string {
	if cfg.EventSource != "" {
		return cfg.EventSource
	}
	return cfg.PublicURL.String()
}

// loadExamples registers each example the registry does not hold yet, so a
// fresh cop dev has countries, ports, terms, forms, a workflow and reports
// to try.
// Re-publishing an unchanged example is a no-op.
func loadExamples(ctx context.Context, pool *pgxpool.Pool, defs *definitions.Service, reps *reports.Service, log *slog.Logger) error {
	kinds := map[string]string{"refdata": definitions.KindRefData, "terms": definitions.KindTerm, "forms": definitions.KindForm}
	who := audit.Who{Actor: "cop-examples", RequestID: "startup"}
	added := 0
	for _, f := range examples.All() {
		var head struct{ Name, Version string }
		if err := json.Unmarshal(f.Content, &head); err != nil {
			return fmt.Errorf("example %s/%s: %w", f.Kind, f.Name, err)
		}
		if _, _, err := defs.Get(ctx, kinds[f.Kind], head.Name, head.Version); err == nil {
			continue
		} else if !errors.Is(err, registry.ErrNotFound) {
			return fmt.Errorf("example %s/%s: %w", f.Kind, f.Name, err)
		}
		publish := map[string]func(context.Context, audit.Who, []byte, bool) (definitions.Published, error){
			"refdata": defs.PublishRefData, "terms": defs.PublishTerm, "forms": defs.PublishForm}[f.Kind]
		if _, err := publish(ctx, who, f.Content, false); err != nil {
			return fmt.Errorf("load example %s/%s: %w", f.Kind, f.Name, err)
		}
		added++
	}
	// Workflows last: they name the forms above.
	for _, f := range wfexamples.All() {
		w, _, err := workflows.Parse(f.Content)
		if err != nil {
			return fmt.Errorf("example workflow %s: %w", f.Name, err)
		}
		d := w.Document
		if _, err := defs.Workflow(ctx, d.Namespace, d.Name, d.Version); err == nil {
			continue
		} else if !errors.Is(err, registry.ErrNotFound) {
			return fmt.Errorf("example workflow %s: %w", f.Name, err)
		}
		// The loader published the example forms too, so it may bind them.
		pub, err := defs.PublishWorkflow(ctx, &auth.Principal{Subject: who.Actor}, who, f.Content, false)
		if err != nil {
			return fmt.Errorf("load example workflow %s: %w", f.Name, err)
		}
		if pub.Created {
			added++
		}
	}
	// Reports last: they read the forms and workflows above.
	for _, f := range repexamples.All() {
		r, err := reports.Parse(f.Content)
		if err != nil {
			return fmt.Errorf("example report %s: %w", f.Name, err)
		}
		ref := registry.Ref{Kind: reports.Kind, Namespace: registry.GlobalNamespace, Name: r.Name, Version: r.Version}
		if _, err := registry.Get(ctx, pool, ref); err == nil {
			continue
		} else if !errors.Is(err, registry.ErrNotFound) {
			return fmt.Errorf("example report %s: %w", f.Name, err)
		}
		pub, err := reps.Publish(ctx, who, f.Content, false)
		if err != nil {
			return fmt.Errorf("load example report %s: %w", f.Name, err)
		}
		if pub.Created {
			added++
		}
	}
	if added > 0 {
		log.Info("example pack loaded", "definitions", added)
	}
	return nil
}

// startWorker starts polling, retrying while Temporal cannot be reached so
// the web tier can come up (and /readyz say what fails) meanwhile.
func startWorker(ctx context.Context, newWorker func() worker.Worker, cfg config.Temporal, log *slog.Logger, state *workerState) {
	for delay := time.Second; ; delay = min(delay*2, 10*time.Second) {
		w := newWorker()
		err := w.Start()
		if err == nil {
			state.started(w)
			log.Info("worker polling", "task_queue", cfg.TaskQueue, "namespace", cfg.Namespace)
			return
		}
		state.set(fmt.Errorf("the worker cannot start, retrying in %s: %w", delay, err))
		log.Error("worker cannot start; retrying", "temporal", cfg.Address, "err", err, "retry_in", delay.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// serveOps serves the operations listener (healthz, readyz, metrics) on
// addr; stop shuts it down.
func serveOps(addr string, app *fiber.App, serveErr chan<- error, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (COP_OPS_LISTEN_ADDR): %w", addr, err)
	}
	go func() { serveErr <- app.Listener(ln) }()
	log.Info("operations listener (healthz, readyz, metrics)", "addr", ln.Addr().String())
	return func() { _ = app.Shutdown() }, nil
}

// watchStrangers looks, once Temporal answers and then each minute, for
// workers polling this replica's task queue that use another database
// (their identity names another installation), and says so once for each:
// they would run this database's instances against theirs.
func watchStrangers(ctx context.Context, tc client.Client, cfg config.Temporal, r *replicas.Replica, log *slog.Logger) {
	told := map[string]bool{}
	for wait := 5 * time.Second; ; wait = time.Minute {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := tc.DescribeTaskQueue(dctx, cfg.TaskQueue, enums.TASK_QUEUE_TYPE_WORKFLOW)
		cancel()
		if err != nil {
			continue // Temporal's state is for /readyz to report
		}
		var ids []string
		for _, p := range resp.GetPollers() {
			ids = append(ids, p.GetIdentity())
		}
		for _, s := range r.Strangers(ids) {
			if !told[s] {
				told[s] = true
				log.Error("a worker on another database polls this replica's Temporal task queue: replicas must share one database",
					"worker", s, "task_queue", cfg.TaskQueue, "namespace", cfg.Namespace, "installation", r.Installation)
			}
		}
	}
}

// workerState is the worker once it polls, and until then why not.
type workerState struct {
	mu  sync.Mutex
	w   worker.Worker
	err error
}

func (s *workerState) set(err error) { s.mu.Lock(); s.err = err; s.mu.Unlock() }

func (s *workerState) started(w worker.Worker) {
	s.mu.Lock()
	s.w, s.err = w, nil
	s.mu.Unlock()
}

// get is why the worker does not poll; nil once it does.
func (s *workerState) get() error { s.mu.Lock(); defer s.mu.Unlock(); return s.err }

// worker is the polling worker, nil before one started.
func (s *workerState) worker() worker.Worker { s.mu.Lock(); defer s.mu.Unlock(); return s.w }

// every runs job each interval until ctx ends, logging failures; the next
// run tries again.
func every(ctx context.Context, interval time.Duration, name string, log *slog.Logger, job func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := job(ctx); err != nil && ctx.Err() == nil {
				log.Error(name+" failed; retrying at the next interval", "err", err)
			}
		}
	}
}

// temporalClient connects lazily: the first call dials, so start-up does not
// depend on Temporal being up.
func temporalClient(cfg config.Temporal, log *slog.Logger) (client.Client, error) {
	opts := client.Options{
		HostPort:  cfg.Address,
		Namespace: cfg.Namespace,
		Logger:    tlog.NewStructuredLogger(log.With("component", "temporal-sdk")),
	}
	if cfg.TLS || cfg.TLSCert != "" || cfg.TLSCA != "" {
		tc, err := temporalTLS(cfg)
		if err != nil {
			return nil, err
		}
		opts.ConnectionOptions.TLS = tc
	}
	if cfg.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("configure Temporal client for %s: %w", cfg.Address, err)
	}
	return c, nil
}

func temporalTLS(cfg config.Temporal) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: cfg.TLSServer}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if cfg.TLSCA != "" {
		pem, err := os.ReadFile(cfg.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("TEMPORAL_TLS_CA holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	return tc, nil
}
