// Package config reads COP's settings from the environment. Every setting is
// documented in docs/configuration.md; a missing or malformed one is reported
// as a single line naming it, so `cop serve` can refuse to start clearly.
package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything `cop serve` needs. `cop dev` builds one itself from
// the components it starts.
type Config struct {
	ListenAddr string // host:port the web server binds
	// OpsListenAddr is where /healthz, the detailed /readyz and /metrics
	// are served apart from the public listener (COP_OPS_LISTEN_ADDR,
	// default :9090; "off" serves /metrics on the public listener).
	OpsListenAddr   string
	PublicURL       *url.URL
	DatabaseURL     string
	Temporal        Temporal
	OIDC            OIDC
	Session         Session
	RunWeb          bool
	RunWorker       bool
	ShutdownTimeout time.Duration
	// DBMaxConns (COP_DB_MAX_CONNS) bounds this process's connections to
	// PostgreSQL; 0 takes the URL's pool_max_conns, else
	// store.DefaultMaxConns.
	DBMaxConns int
	// DrainDelay (COP_DRAIN_DELAY) is how long a stopping web replica
	// answers /readyz with 503 while still serving, so the load balancer
	// stops sending it requests before it closes (0: close at once).
	DrainDelay time.Duration
	LogFormat  string // json or text
	LogLevel   string
	// LoadExamples registers the example pack (countries, UK ports, shared
	// terms, an example form) at start-up when missing; cop dev sets it.
	LoadExamples bool
	// CallAllowlist is COP_CALL_ALLOWLIST: where workflows' outbound calls
	// may go (engine.Allowlist: *, host, host:port, addresses, prefixes).
	// Empty refuses every call, the safe default for serve; cop dev sets
	// DevCallAllowlist.
	CallAllowlist string
	// WebhookAllowlist is COP_WEBHOOK_ALLOWLIST: where webhook receivers
	// may be, when it should be narrower than CallAllowlist (empty: the
	// same list).
	WebhookAllowlist string
	// RateLimit and RateLimitAnonymous are requests a minute per signed-in
	// caller and per client address without a sign-in (0: unlimited).
	RateLimit          int
	RateLimitAnonymous int
	// TrustedProxies are the load balancers whose X-Forwarded-For COP
	// believes (COP_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// Retention says how long what nobody finished is kept.
	Retention Retention
	// EventSource is the CloudEvents source of the events this
	// installation announces (COP_EVENT_SOURCE, default PUBLIC_URL).
	EventSource string
	// EventRetention is COP_EVENT_RETENTION: how long an event another
	// system sends is kept for a listen that starts later.
	EventRetention time.Duration
	// ReportTimeout (COP_REPORT_TIMEOUT) bounds a report's query, and
	// ReportMaxRows (COP_REPORT_MAX_ROWS) its rows.
	ReportTimeout time.Duration
	ReportMaxRows int
	// WebhookSchedule is the wait before each retry of a webhook delivery
	// (COP_WEBHOOK_RETRY_SCHEDULE, comma-separated durations; empty: the
	// Standard Webhooks schedule); after the last, a delivery is dead.
	WebhookSchedule []time.Duration
	// Mail is how notify's email channel sends.
	Mail Mail
	// PlainHTTPWebhooks lets webhook receivers be plain http without an
	// http:// allow-list entry naming them (cop dev; serve requires https).
	PlainHTTPWebhooks bool
	// Clamd is the virus scanner every upload passes through.
	Clamd Clamd
}

// Clamd says where ClamAV's clamd listens. With no Address, uploads are
// refused (never stored unscanned).
type Clamd struct {
	Address string        // COP_CLAMD_ADDRESS, host:port of clamd's TCPSocket
	Timeout time.Duration // COP_CLAMD_TIMEOUT: the most one scan may take
}

// Mail is how email is sent: through an SMTP server or GOV.UK Notify (one
// of the two; neither: email notifications fail, visibly).
type Mail struct {
	SMTPURL          string // COP_SMTP_URL
	From             string // COP_MAIL_FROM
	NotifyAPIKey     string // COP_NOTIFY_API_KEY
	NotifyTemplateID string // COP_NOTIFY_TEMPLATE_ID
	NotifyBaseURL    string // COP_NOTIFY_BASE_URL (a test's fake)
	// Attempts is COP_MAIL_ATTEMPTS: tries of one email before it fails.
	Attempts int
}

// Retention bounds what the platform keeps that nobody finished: drafts
// not touched, files uploaded and never submitted, and the answers kept for
// Idempotency-Key retries.
type Retention struct {
	Drafts          time.Duration
	UnattachedFiles time.Duration
	IdempotencyKeys time.Duration
}

// Temporal says how to reach the Temporal cluster.
type Temporal struct {
	Address   string
	Namespace string
	TaskQueue string
	TLS       bool
	TLSCert   string // client certificate file (mTLS), optional
	TLSKey    string
	TLSCA     string // CA bundle file, optional
	TLSServer string // server name override, optional
	APIKey    string
}

// OIDC says which provider signs users in and how its tokens name roles and teams.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	Audience     string // expected `aud` of API bearer tokens
	RolesClaim   string
	TeamsClaim   string
	Scopes       []string
}

// Session bounds how long a browser session lives.
type Session struct {
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
}

// DevCallAllowlist is what `cop dev` and `cop workflows run` let calls
// reach on an author's machine: any public address, and receivers on this
// machine; not the private network or the cloud metadata address.
const DevCallAllowlist = "*,127.0.0.0/8,::1"

// Getenv is os.Getenv's shape, so tests can pass a map.
type Getenv func(string) string

// MapEnv adapts a map to Getenv.
func MapEnv(m map[string]string) Getenv { return func(k string) string { return m[k] } }

// Defaults returns the settings that have sensible defaults; required ones are empty.
func Defaults() Config {
	return Config{
		ListenAddr:         ":8080",
		OpsListenAddr:      ":9090", // cop dev clears it
		RateLimit:          600,
		RateLimitAnonymous: 300,
		ReportTimeout:      10 * time.Second,
		ReportMaxRows:      10000,
		Clamd:              Clamd{Timeout: 30 * time.Second},
		Retention:          Retention{Drafts: 30 * 24 * time.Hour, UnattachedFiles: 24 * time.Hour, IdempotencyKeys: 24 * time.Hour},
		Temporal: Temporal{
			Namespace: "default",
			TaskQueue: "cop",
		},
		OIDC: OIDC{
			RolesClaim: "roles",
			TeamsClaim: "teams",
			Scopes:     []string{"openid", "profile", "email"},
		},
		Session: Session{
			IdleTimeout:     30 * time.Minute,
			AbsoluteTimeout: 12 * time.Hour,
		},
		RunWeb:          true,
		RunWorker:       true,
		ShutdownTimeout: 20 * time.Second,
		DrainDelay:      5 * time.Second,
		LogFormat:       "json",
		LogLevel:        "info",
	}
}

// FromEnv reads the production configuration. The first problem found is
// returned as an error whose text is one line naming the setting.
func FromEnv(getenv Getenv) (Config, error) {
	c := Defaults()
	r := reader{getenv: getenv}

	if port := r.opt("PORT"); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("PORT must be a TCP port number (1-65535), got %q", port)
		}
		c.ListenAddr = ":" + port
	}
	if addr := r.opt("COP_LISTEN_ADDR"); addr != "" {
		c.ListenAddr = addr
	}
	switch ops := r.opt("COP_OPS_LISTEN_ADDR"); ops {
	case "":
	case "off":
		c.OpsListenAddr = ""
	default:
		if _, _, err := net.SplitHostPort(ops); err != nil {
			r.fail("COP_OPS_LISTEN_ADDR must be host:port or :port (or off), got %q", ops)
		}
		c.OpsListenAddr = ops
	}
	c.DatabaseURL = r.req("DATABASE_URL")
	if c.DBMaxConns = r.count("COP_DB_MAX_CONNS", 0); c.DBMaxConns > 1000 {
		r.fail("COP_DB_MAX_CONNS must be at most 1000: each replica's most connections to PostgreSQL (0: the default), got %d", c.DBMaxConns)
	}
	c.Temporal.Address = r.req("TEMPORAL_ADDRESS")
	c.Temporal.Namespace = r.optDefault("TEMPORAL_NAMESPACE", c.Temporal.Namespace)
	c.Temporal.TaskQueue = r.optDefault("TEMPORAL_TASK_QUEUE", c.Temporal.TaskQueue)
	c.Temporal.TLS = r.boolean("TEMPORAL_TLS", false)
	c.Temporal.TLSCert = r.file("TEMPORAL_TLS_CERT")
	c.Temporal.TLSKey = r.file("TEMPORAL_TLS_KEY")
	c.Temporal.TLSCA = r.file("TEMPORAL_TLS_CA")
	c.Temporal.TLSServer = r.opt("TEMPORAL_TLS_SERVER_NAME")
	c.Temporal.APIKey = r.opt("TEMPORAL_API_KEY")
	c.OIDC.Issuer = r.absURL("OIDC_ISSUER", true)
	c.OIDC.ClientID = r.req("OIDC_CLIENT_ID")
	c.OIDC.ClientSecret = r.req("OIDC_CLIENT_SECRET")
	c.OIDC.Audience = r.req("OIDC_AUDIENCE")
	if c.OIDC.Audience != "" && c.OIDC.Audience == c.OIDC.ClientID {
		// ID tokens are issued to the client id: an API that accepts that
		// audience accepts every ID token a browser ever held.
		r.fail("OIDC_AUDIENCE must be the audience of access tokens for COP's API, not the client id %q (ID tokens carry that)", c.OIDC.ClientID)
	}
	c.OIDC.RolesClaim = r.optDefault("OIDC_ROLES_CLAIM", c.OIDC.RolesClaim)
	c.OIDC.TeamsClaim = r.optDefault("OIDC_TEAMS_CLAIM", c.OIDC.TeamsClaim)
	if s := r.opt("OIDC_SCOPES"); s != "" {
		c.OIDC.Scopes = strings.Fields(strings.ReplaceAll(s, ",", " "))
	}
	if pub := r.absURL("PUBLIC_URL", true); pub != "" {
		c.PublicURL, _ = url.Parse(strings.TrimRight(pub, "/"))
		if c.PublicURL.Scheme == "http" && !IsLoopback(c.PublicURL.Hostname()) {
			r.fail("PUBLIC_URL must use https (plain http is allowed only for localhost), got %q", pub)
		}
	}
	c.Session.IdleTimeout = r.duration("COP_SESSION_IDLE_TIMEOUT", c.Session.IdleTimeout)
	c.Session.AbsoluteTimeout = r.duration("COP_SESSION_ABSOLUTE_TIMEOUT", c.Session.AbsoluteTimeout)
	c.ShutdownTimeout = r.duration("COP_SHUTDOWN_TIMEOUT", c.ShutdownTimeout)
	c.DrainDelay = r.durationOrZero("COP_DRAIN_DELAY", c.DrainDelay)
	c.LogFormat = r.oneOf("COP_LOG_FORMAT", c.LogFormat, "json", "text")
	c.LogLevel = r.oneOf("COP_LOG_LEVEL", c.LogLevel, "debug", "info", "warn", "error")
	c.RunWeb, c.RunWorker = r.components("COP_COMPONENTS")
	c.LoadExamples = r.boolean("COP_LOAD_EXAMPLES", false)
	c.CallAllowlist = r.allowlist("COP_CALL_ALLOWLIST")
	c.WebhookAllowlist = r.allowlist("COP_WEBHOOK_ALLOWLIST")
	c.EventRetention = r.duration("COP_EVENT_RETENTION", 24*time.Hour)
	c.Mail.SMTPURL, c.Mail.From = r.opt("COP_SMTP_URL"), r.opt("COP_MAIL_FROM")
	c.Mail.NotifyAPIKey, c.Mail.NotifyTemplateID = r.opt("COP_NOTIFY_API_KEY"), r.opt("COP_NOTIFY_TEMPLATE_ID")
	c.Mail.NotifyBaseURL = r.absURL("COP_NOTIFY_BASE_URL", false)
	switch {
	case c.Mail.SMTPURL != "" && c.Mail.NotifyAPIKey != "":
		r.fail("set COP_SMTP_URL or COP_NOTIFY_API_KEY, not both: email goes one way")
	case c.Mail.SMTPURL != "" && c.Mail.From == "":
		r.fail("COP_MAIL_FROM is required with COP_SMTP_URL: the address COP sends from")
	case c.Mail.NotifyAPIKey != "" && c.Mail.NotifyTemplateID == "":
		r.fail("COP_NOTIFY_TEMPLATE_ID is required with COP_NOTIFY_API_KEY: the email template with ((subject)) and ((body))")
	}
	r.limits(&c)
	if c.Clamd.Address = r.opt("COP_CLAMD_ADDRESS"); c.Clamd.Address != "" {
		if host, port, err := net.SplitHostPort(c.Clamd.Address); err != nil || host == "" || port == "" {
			r.fail("COP_CLAMD_ADDRESS must be host:port of clamd's TCPSocket, such as clamd.internal:3310, got %q", c.Clamd.Address)
		}
	}
	c.Clamd.Timeout = r.duration("COP_CLAMD_TIMEOUT", c.Clamd.Timeout)
	c.TrustedProxies = r.prefixes("COP_TRUSTED_PROXIES")
	c.Retention.Drafts = r.duration("COP_DRAFT_RETENTION", c.Retention.Drafts)
	c.Retention.UnattachedFiles = r.duration("COP_UNATTACHED_FILE_RETENTION", c.Retention.UnattachedFiles)
	c.Retention.IdempotencyKeys = r.duration("COP_IDEMPOTENCY_RETENTION", c.Retention.IdempotencyKeys)
	if src := r.opt("COP_EVENT_SOURCE"); src != "" {
		if u, err := url.Parse(src); err != nil || strings.ContainsAny(src, " \t\n") || (u.Scheme == "" && u.Host == "" && u.Path == "") {
			r.fail("COP_EVENT_SOURCE must be a URI reference naming this installation (https://cop.example.gov.uk, urn:cop:prod), got %q", src)
		}
		c.EventSource = src
	}

	if r.err != nil {
		return c, r.err
	}
	if (c.Temporal.TLSCert == "") != (c.Temporal.TLSKey == "") {
		return c, fmt.Errorf("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
	}
	if c.Session.AbsoluteTimeout < c.Session.IdleTimeout {
		return c, fmt.Errorf("COP_SESSION_ABSOLUTE_TIMEOUT (%s) must not be shorter than COP_SESSION_IDLE_TIMEOUT (%s)", c.Session.AbsoluteTimeout, c.Session.IdleTimeout)
	}
	return c, nil
}

// DevLimits reads the rate limits for `cop dev`, which otherwise runs on
// Defaults: a load test against it raises them (or sets 0, unlimited).
func DevLimits(c *Config, getenv Getenv) error {
	r := reader{getenv: getenv}
	r.limits(c)
	return r.err
}

// schedule reads comma-separated positive durations, at most 20.
func (r *reader) schedule(key string) []time.Duration {
	v := r.opt(key)
	if v == "" {
		return nil
	}
	var out []time.Duration
	for _, part := range strings.Split(v, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 || d > 7*24*time.Hour {
			r.fail("%s must be comma-separated durations from 1s to 168h, such as 5s,5m,30m,2h, got %q", key, part)
			return nil
		}
		out = append(out, d)
	}
	if len(out) > 20 {
		r.fail("%s has %d retries; at most 20", key, len(out))
		return nil
	}
	return out
}

// limits reads the rate limits and the webhook retry schedule, for cop
// serve and cop dev alike.
func (r *reader) limits(c *Config) {
	c.RateLimit = r.count("COP_RATE_LIMIT", c.RateLimit)
	c.RateLimitAnonymous = r.count("COP_RATE_LIMIT_ANONYMOUS", c.RateLimitAnonymous)
	c.WebhookSchedule = r.schedule("COP_WEBHOOK_RETRY_SCHEDULE")
	c.ReportTimeout = r.duration("COP_REPORT_TIMEOUT", c.ReportTimeout)
	if c.ReportMaxRows = r.count("COP_REPORT_MAX_ROWS", c.ReportMaxRows); c.ReportMaxRows < 1 || c.ReportMaxRows > 1000000 {
		r.fail("COP_REPORT_MAX_ROWS must be from 1 to 1000000: the most rows a report answers, got %d", c.ReportMaxRows)
	}
	if c.Mail.Attempts = r.count("COP_MAIL_ATTEMPTS", c.Mail.Attempts); r.opt("COP_MAIL_ATTEMPTS") != "" && c.Mail.Attempts < 1 {
		r.fail("COP_MAIL_ATTEMPTS must be 1 or more: how many times one email is tried")
	}
}

// reader keeps the first error so FromEnv reads top to bottom.
type reader struct {
	getenv Getenv
	err    error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *reader) opt(key string) string { return strings.TrimSpace(r.getenv(key)) }

func (r *reader) optDefault(key, def string) string {
	if v := r.opt(key); v != "" {
		return v
	}
	return def
}

func (r *reader) req(key string) string {
	v := r.opt(key)
	if v == "" {
		r.fail("%s is required but not set", key)
	}
	return v
}

func (r *reader) absURL(key string, required bool) string {
	v := r.opt(key)
	if v == "" {
		if required {
			r.fail("%s is required but not set", key)
		}
		return ""
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail("%s must be an absolute http(s) URL, got %q", key, v)
		return ""
	}
	return v
}

// durationOrZero is duration that also takes zero ("0", "0s").
func (r *reader) durationOrZero(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(r.opt(key)); err == nil && d == 0 {
		return 0
	}
	return r.duration(key, def)
}

func (r *reader) duration(key string, def time.Duration) time.Duration {
	v := r.opt(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail("%s must be a positive duration such as 30m or 12h, got %q", key, v)
		return def
	}
	return d
}

// count reads a whole number of zero or more.
func (r *reader) count(key string, def int) int {
	v := r.opt(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail("%s must be a whole number, 0 or more, got %q", key, v)
		return def
	}
	return n
}

// prefixes reads comma-separated IP addresses and CIDR prefixes.
func (r *reader) prefixes(key string) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range strings.Split(r.opt(key), ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if a, err := netip.ParseAddr(e); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(e)
		if err != nil {
			r.fail("%s must be comma-separated IP addresses or CIDR prefixes, got %q", key, e)
			return nil
		}
		out = append(out, p.Masked())
	}
	return out
}

func (r *reader) boolean(key string, def bool) bool {
	v := r.opt(key)
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail("%s must be true or false, got %q", key, v)
		return def
	}
	return b
}

func (r *reader) oneOf(key, def string, allowed ...string) string {
	v := r.opt(key)
	if v == "" {
		return def
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail("%s must be one of %s, got %q", key, strings.Join(allowed, ", "), v)
	return def
}

// allowlist reads a comma-separated list of *, host or host:port, IP
// address and CIDR prefix entries.
func (r *reader) allowlist(key string) string {
	v := r.opt(key)
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if rest, ok := strings.CutPrefix(strings.ToLower(e), "http://"); ok {
			e = strings.TrimSuffix(rest, "/") // a host also reachable over plain http
			if e == "" || e == "*" || strings.Contains(e, "/") {
				r.fail("%s: an http:// entry names one host (http://host or http://host:port), got %q", key, "http://"+rest)
				break
			}
		}
		if e == "" || e == "*" {
			continue
		}
		if strings.Contains(e, "/") {
			if _, err := netip.ParsePrefix(e); err != nil {
				r.fail("%s: %q is not a CIDR prefix such as 10.0.0.0/8", key, e)
				break
			}
			continue
		}
		if _, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
			continue
		}
		host, port, err := net.SplitHostPort(e)
		if err != nil {
			host, port = e, ""
		}
		if n, perr := strconv.Atoi(port); host == "" || strings.ContainsAny(host, "/@ *") || (port != "" && (perr != nil || n < 1 || n > 65535)) {
			r.fail("%s must be comma-separated entries of *, host, host:port, an IP address or a CIDR prefix, got %q", key, e)
			break
		}
	}
	return v
}

func (r *reader) file(key string) string {
	v := r.opt(key)
	if v == "" {
		return ""
	}
	if _, err := os.Stat(v); err != nil {
		r.fail("%s names a file that cannot be read: %s", key, v)
	}
	return v
}

// components parses COP_COMPONENTS ("web", "worker" or "web,worker").
func (r *reader) components(key string) (web, worker bool) {
	v := r.opt(key)
	if v == "" {
		return true, true
	}
	for _, part := range strings.Split(v, ",") {
		switch strings.TrimSpace(part) {
		case "web":
			web = true
		case "worker":
			worker = true
		default:
			r.fail("%s must list web and/or worker, got %q", key, v)
			return true, true
		}
	}
	return web, worker
}

// IsLoopback reports whether host names this machine.
func IsLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
