package config

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func validEnv() map[string]string {
	return map[string]string{
		"DATABASE_URL":       "postgres://cop@db/cop",
		"TEMPORAL_ADDRESS":   "temporal:7233",
		"OIDC_ISSUER":        "https://login.example.gov.uk/realms/cop",
		"OIDC_CLIENT_ID":     "cop",
		"OIDC_CLIENT_SECRET": "s3cret",
		"OIDC_AUDIENCE":      "cop-api",
		"PUBLIC_URL":         "https://cop.example.gov.uk/",
	}
}

func TestFromEnvReadsAValidConfiguration(t *testing.T) {
	env := validEnv()
	env["PORT"] = "9090"
	env["OIDC_ROLES_CLAIM"] = "realm_access.roles"
	env["COP_COMPONENTS"] = "worker"
	env["COP_SESSION_IDLE_TIMEOUT"] = "15m"
	env["COP_EVENT_SOURCE"] = "urn:cop:border-force:prod"
	c, err := FromEnv(MapEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	if c.EventSource != "urn:cop:border-force:prod" {
		t.Errorf("event source %q", c.EventSource)
	}
	if c.ListenAddr != ":9090" || c.PublicURL.String() != "https://cop.example.gov.uk" {
		t.Errorf("listen %q public %q", c.ListenAddr, c.PublicURL)
	}
	if c.OIDC.Audience != "cop-api" {
		t.Errorf("audience %q", c.OIDC.Audience)
	}
	if c.OIDC.RolesClaim != "realm_access.roles" || c.OIDC.TeamsClaim != "teams" {
		t.Errorf("claims %q %q", c.OIDC.RolesClaim, c.OIDC.TeamsClaim)
	}
	if c.RunWeb || !c.RunWorker {
		t.Errorf("COP_COMPONENTS=worker gave web=%v worker=%v", c.RunWeb, c.RunWorker)
	}
	if c.Session.IdleTimeout != 15*time.Minute || c.Temporal.Namespace != "default" {
		t.Errorf("idle %s namespace %q", c.Session.IdleTimeout, c.Temporal.Namespace)
	}
}

// Each bad setting stops start-up with one line that names it.
func TestFromEnvNamesTheBadSetting(t *testing.T) {
	cases := []struct {
		change map[string]string
		want   string
	}{
		{map[string]string{"DATABASE_URL": ""}, "DATABASE_URL is required"},
		{map[string]string{"TEMPORAL_ADDRESS": ""}, "TEMPORAL_ADDRESS is required"},
		{map[string]string{"OIDC_ISSUER": ""}, "OIDC_ISSUER is required"},
		{map[string]string{"OIDC_ISSUER": "login.example"}, "OIDC_ISSUER must be an absolute http(s) URL"},
		{map[string]string{"OIDC_CLIENT_ID": " "}, "OIDC_CLIENT_ID is required"},
		{map[string]string{"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET is required"},
		{map[string]string{"OIDC_AUDIENCE": ""}, "OIDC_AUDIENCE is required"},
		{map[string]string{"COP_RATE_LIMIT": "-1"}, "COP_RATE_LIMIT must be a whole number, 0 or more"},
		{map[string]string{"COP_EVENT_SOURCE": "not a uri"}, `COP_EVENT_SOURCE must be a URI reference naming this installation (https://cop.example.gov.uk, urn:cop:prod), got "not a uri"`},
		{map[string]string{"COP_TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"}, `COP_TRUSTED_PROXIES must be comma-separated IP addresses or CIDR prefixes, got "lb.internal"`},
		{map[string]string{"COP_DRAFT_RETENTION": "forever"}, "COP_DRAFT_RETENTION must be a positive duration"},
		{map[string]string{"COP_OPS_LISTEN_ADDR": "9090"}, "COP_OPS_LISTEN_ADDR must be host:port"},
		{map[string]string{"OIDC_AUDIENCE": "cop"}, `OIDC_AUDIENCE must be the audience of access tokens for COP's API, not the client id "cop"`},
		{map[string]string{"PUBLIC_URL": ""}, "PUBLIC_URL is required"},
		{map[string]string{"PUBLIC_URL": "http://cop.example.gov.uk"}, "PUBLIC_URL must use https"},
		{map[string]string{"PORT": "eighty"}, "PORT must be a TCP port number"},
		{map[string]string{"PORT": "70000"}, "PORT must be a TCP port number"},
		{map[string]string{"TEMPORAL_TLS": "maybe"}, "TEMPORAL_TLS must be true or false"},
		{map[string]string{"TEMPORAL_TLS_CA": "/no/such/ca.pem"}, "TEMPORAL_TLS_CA names a file that cannot be read"},
		{map[string]string{"COP_SESSION_IDLE_TIMEOUT": "soon"}, "COP_SESSION_IDLE_TIMEOUT must be a positive duration"},
		{map[string]string{"COP_SESSION_IDLE_TIMEOUT": "24h"}, "COP_SESSION_ABSOLUTE_TIMEOUT (12h0m0s) must not be shorter"},
		{map[string]string{"COP_LOG_FORMAT": "xml"}, "COP_LOG_FORMAT must be one of json, text"},
		{map[string]string{"COP_COMPONENTS": "web,cron"}, "COP_COMPONENTS must list web and/or worker"},
		{map[string]string{"COP_CALL_ALLOWLIST": "api.example.org, http://evil.example/hooks"}, `COP_CALL_ALLOWLIST: an http:// entry names one host (http://host or http://host:port), got "http://evil.example/hooks"`},
		{map[string]string{"COP_CALL_ALLOWLIST": "api.example.org, ftp://evil.example"}, `COP_CALL_ALLOWLIST: "ftp://evil.example" is not a CIDR prefix`},
		{map[string]string{"COP_CALL_ALLOWLIST": "api.example.org, evil@example"}, `COP_CALL_ALLOWLIST must be comma-separated entries of *, host, host:port, an IP address or a CIDR prefix, got "evil@example"`},
		{map[string]string{"COP_CALL_ALLOWLIST": "10.0.0.0/33"}, "is not a CIDR prefix"},
		{map[string]string{"COP_WEBHOOK_RETRY_SCHEDULE": "5s, soon"}, `COP_WEBHOOK_RETRY_SCHEDULE must be comma-separated durations from 1s to 168h, such as 5s,5m,30m,2h, got " soon"`},
		{map[string]string{"COP_WEBHOOK_RETRY_SCHEDULE": "5s,0s"}, `COP_WEBHOOK_RETRY_SCHEDULE must be comma-separated durations`},
		{map[string]string{"COP_MAIL_ATTEMPTS": "0"}, `COP_MAIL_ATTEMPTS must be 1 or more`},
		{map[string]string{"COP_EVENT_RETENTION": "a day"}, `COP_EVENT_RETENTION must be a positive duration`},
		{map[string]string{"COP_REPORT_TIMEOUT": "0s"}, `COP_REPORT_TIMEOUT must be a positive duration`},
		{map[string]string{"COP_REPORT_MAX_ROWS": "0"}, `COP_REPORT_MAX_ROWS must be from 1 to 1000000`},
		{map[string]string{"COP_WEBHOOK_ALLOWLIST": "hooks.example.org, evil@example"}, `COP_WEBHOOK_ALLOWLIST must be comma-separated entries`},
		{map[string]string{"COP_SMTP_URL": "smtp://mail.example.gov.uk"}, `COP_MAIL_FROM is required with COP_SMTP_URL`},
		{map[string]string{"COP_SMTP_URL": "smtp://m", "COP_MAIL_FROM": "a@b", "COP_NOTIFY_API_KEY": "k"}, `set COP_SMTP_URL or COP_NOTIFY_API_KEY, not both`},
		{map[string]string{"COP_NOTIFY_API_KEY": "k"}, `COP_NOTIFY_TEMPLATE_ID is required with COP_NOTIFY_API_KEY`},
		{map[string]string{"COP_CALL_ALLOWLIST": "api.example.org:99999"}, "COP_CALL_ALLOWLIST must be comma-separated"},
		{map[string]string{"COP_DB_MAX_CONNS": "5000"}, "COP_DB_MAX_CONNS must be at most 1000"},
		{map[string]string{"COP_DB_MAX_CONNS": "lots"}, "COP_DB_MAX_CONNS must be a whole number"},
		{map[string]string{"COP_DRAIN_DELAY": "-1s"}, "COP_DRAIN_DELAY must be a positive duration"},
		{map[string]string{"COP_CLAMD_ADDRESS": "clamd.internal"}, `COP_CLAMD_ADDRESS must be host:port of clamd's TCPSocket, such as clamd.internal:3310, got "clamd.internal"`},
		{map[string]string{"COP_CLAMD_ADDRESS": "clamd:3310", "COP_CLAMD_TIMEOUT": "forever"}, "COP_CLAMD_TIMEOUT must be a positive duration"},
	}
	for _, tc := range cases {
		env := validEnv()
		for k, v := range tc.change {
			env[k] = v
		}
		_, err := FromEnv(MapEnv(env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.change, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error spans lines: %q", tc.change, err)
		}
	}
}

func TestTLSCertAndKeyGoTogether(t *testing.T) {
	env := validEnv()
	f, _ := os.CreateTemp(t.TempDir(), "cert")
	env["TEMPORAL_TLS_CERT"] = f.Name()
	if _, err := FromEnv(MapEnv(env)); err == nil || !strings.Contains(err.Error(), "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together") {
		t.Fatalf("got %v", err)
	}
}

func TestPlainHTTPIsAllowedOnLocalhost(t *testing.T) {
	env := validEnv()
	env["PUBLIC_URL"] = "http://localhost:8080"
	if _, err := FromEnv(MapEnv(env)); err != nil {
		t.Fatal(err)
	}
}

func TestCallAllowlistIsEmptyUnlessSet(t *testing.T) {
	c, err := FromEnv(MapEnv(validEnv()))
	if err != nil || c.CallAllowlist != "" {
		t.Fatalf("default allow-list %q (%v), want empty: serve refuses outbound calls until told", c.CallAllowlist, err)
	}
	env := validEnv()
	env["COP_CALL_ALLOWLIST"] = "api.example.org, casework.internal:8443, 10.20.0.0/16, ::1, [fd00::1], http://receiver.internal:8080"
	if c, err = FromEnv(MapEnv(env)); err != nil || c.CallAllowlist != env["COP_CALL_ALLOWLIST"] {
		t.Fatalf("got %q, %v", c.CallAllowlist, err)
	}
}

func TestWebhookScheduleIsReadInOrder(t *testing.T) {
	c, err := FromEnv(MapEnv(validEnv()))
	if err != nil || c.WebhookSchedule != nil {
		t.Fatalf("default schedule %v (%v), want none: the Standard Webhooks one applies", c.WebhookSchedule, err)
	}
	env := validEnv()
	env["COP_WEBHOOK_RETRY_SCHEDULE"] = "1s, 2s,1m"
	c, err = FromEnv(MapEnv(env))
	if err != nil || !slices.Equal(c.WebhookSchedule, []time.Duration{time.Second, 2 * time.Second, time.Minute}) {
		t.Fatalf("got %v, %v", c.WebhookSchedule, err)
	}
}

// COP_DRAIN_DELAY takes zero, however written, to stop at once; unset it
// is 5s.
func TestDrainDelayTakesZero(t *testing.T) {
	for v, want := range map[string]time.Duration{"": 5 * time.Second, "0": 0, "0s": 0, "12s": 12 * time.Second} {
		env := validEnv()
		env["COP_DRAIN_DELAY"] = v
		c, err := FromEnv(MapEnv(env))
		if err != nil || c.DrainDelay != want {
			t.Errorf("COP_DRAIN_DELAY=%q: %s (%v), want %s", v, c.DrainDelay, err, want)
		}
	}
}

// The virus scanner: unset, no address (uploads are then refused) and a
// 30s timeout; set, both are read.
func TestClamdIsRead(t *testing.T) {
	c, err := FromEnv(MapEnv(validEnv()))
	if err != nil || c.Clamd.Address != "" || c.Clamd.Timeout != 30*time.Second {
		t.Fatalf("default %+v (%v), want no address and 30s", c.Clamd, err)
	}
	env := validEnv()
	env["COP_CLAMD_ADDRESS"], env["COP_CLAMD_TIMEOUT"] = "clamd.internal:3310", "10s"
	if c, err = FromEnv(MapEnv(env)); err != nil || c.Clamd.Address != "clamd.internal:3310" || c.Clamd.Timeout != 10*time.Second {
		t.Fatalf("got %+v, %v", c.Clamd, err)
	}
}
