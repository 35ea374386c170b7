package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/golang-jwt/jwt/v5"

	"cop/platform/devstack"
	"cop/platform/mail"
	"cop/platform/testenv"
)

// selfSigned is a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cop-test-smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func message(to string) mail.Message {
	return mail.Message{To: to, ToName: "Olu Officer", Subject: "Seizure approved — SEIZ-1", Text: "Your seizure was approved.\n",
		MessageID: "3f1c@cop", Reference: "n1/dev-officer"}
}

// With STARTTLS (required), the message arrives over TLS as it was sent.
func TestSMTPSendsOverSTARTTLS(t *testing.T) {
	server, roots := selfSigned(t)
	catcher, err := devstack.StartMailCatcher("127.0.0.1:0", t.TempDir(), server)
	if err != nil {
		t.Fatal(err)
	}
	defer catcher.Close()
	s, err := mail.ParseSMTP("smtp://cop:secret@"+catcher.Addr, "COP <cop@example.gov.uk>")
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	if err := s.Send(t.Context(), message("officer@cop.localhost")); err != nil {
		t.Fatal(err)
	}
	got, err := devstack.CaughtMails(catcher.Dir)
	if err != nil || len(got) != 1 {
		t.Fatalf("caught %v, %v", got, err)
	}
	m := got[0]
	if !m.TLS || m.Subject != "Seizure approved — SEIZ-1" || !strings.Contains(m.To, "officer@cop.localhost") ||
		m.Header.Get("Message-Id") != "<3f1c@cop>" || strings.TrimSpace(m.Body) != "Your seizure was approved." {
		t.Errorf("caught %+v", m)
	}
	// A server without STARTTLS is refused rather than sent to in the clear.
	plain, _ := devstack.StartMailCatcher("127.0.0.1:0", t.TempDir(), nil)
	defer plain.Close()
	s, _ = mail.ParseSMTP("smtp://"+plain.Addr, "cop@example.gov.uk")
	if err := s.Send(t.Context(), message("officer@cop.localhost")); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("sent without TLS: %v", err)
	}
}

// A recipient refused for good (5xx) is permanent; one refused for now
// (4xx) and a server that drops the connection are retried.
func TestSMTPRefusalsAreToldApart(t *testing.T) {
	catcher, err := devstack.StartMailCatcher("127.0.0.1:0", t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer catcher.Close()
	catcher.Refuse = func(to string) error {
		if strings.HasPrefix(to, "gone") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	}
	s, _ := mail.ParseSMTP("smtp://"+catcher.Addr+"?tls=none", "cop@example.gov.uk")
	var permanent *mail.PermanentError
	if err := s.Send(t.Context(), message("gone@cop.localhost")); !errors.As(err, &permanent) || !strings.Contains(err.Error(), "no such mailbox") {
		t.Errorf("550: %v, want permanent", err)
	}
	if err := s.Send(t.Context(), message("busy@cop.localhost")); err == nil || errors.As(err, &permanent) {
		t.Errorf("451: %v, want one to retry", err)
	}
	s, _ = mail.ParseSMTP("smtp://"+testenv.HangUp(t)+"?tls=none", "cop@example.gov.uk")
	if err := s.Send(t.Context(), message("officer@cop.localhost")); err == nil || errors.As(err, &permanent) {
		t.Errorf("dropped connection: %v, want one to retry", err)
	}
}

func TestSMTPSettings(t *testing.T) {
	for _, c := range []struct{ url, from, want string }{
		{"smtp://mail.example.gov.uk", "cop@example.gov.uk", ""},
		{"smtps://u:p@mail.example.gov.uk:2465", "COP <cop@example.gov.uk>", ""},
		{"smtp://127.0.0.1:1025?tls=none", "cop@localhost", ""},
		{"smtp://mail.example.gov.uk?tls=none", "cop@example.gov.uk", "only to a server on this machine, not mail.example.gov.uk"},
		{"smtp://mail.example.gov.uk?pool=3", "cop@example.gov.uk", "unknown option pool=[3]"},
		{"http://mail.example.gov.uk", "cop@example.gov.uk", "COP_SMTP_URL must be smtp://"},
		{"smtp://u:hunter2@mail.example.gov.uk:99999", "cop@example.gov.uk", "is not a port"},
		{"smtp://mail.example.gov.uk", "not an address", "COP_MAIL_FROM must be the address"},
	} {
		_, err := mail.ParseSMTP(c.url, c.from)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.url, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the password is in the error: %v", err)
		}
	}
}

// fakeNotify checks each request's token as GOV.UK Notify does (HS256 by
// the key's secret, issued by its service, within 30 seconds) and answers
// as answer says.
func fakeNotify(t *testing.T, service, secret string, answer func(body map[string]any) (int, string)) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		claims := jwt.MapClaims{}
		parsed, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(secret), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(service), jwt.WithIssuedAt())
		iat, _ := claims.GetIssuedAt()
		if !ok || err != nil || !parsed.Valid || iat == nil || time.Since(iat.Time).Abs() > 30*time.Second {
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`{"status_code": 403, "errors": [{"error": "AuthError", "message": "Invalid token: signature, api token not found"}]}`))
			return
		}
		if r.URL.Path != "/v2/notifications/email" || r.Method != "POST" {
			w.WriteHeader(404)
			return
		}
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		status, out := answer(body)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(out))
	}))
}

func TestNotifySendsWithItsToken(t *testing.T) {
	const service, secret, template = "26785a09-ab16-4eb0-8407-a37497a57506", "3d844edf-8d35-48ac-975b-e847b4f122b0", "f33517ff-2a88-4f6e-b855-c550268ce08a"
	key := "cop_live-" + service + "-" + secret
	var sent map[string]any
	answer := func(body map[string]any) (int, string) {
		switch body["email_address"] {
		case "stranger@example.com":
			return 400, `{"status_code": 400, "errors": [{"error": "BadRequestError", "message": "Can't send to this recipient using a team-only API key"}]}`
		case "busy@example.gov.uk":
			return 429, `{"status_code": 429, "errors": [{"error": "RateLimitError", "message": "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"}]}`
		}
		sent = body
		return 201, `{"id": "740e5834-3a29-46b4-9a6f-16142fde533a"}`
	}
	fake := fakeNotify(t, service, secret, answer)
	defer fake.Close()
	n, err := mail.NewNotify(key, template, fake.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Send(t.Context(), message("officer@example.gov.uk")); err != nil {
		t.Fatal(err)
	}
	p, _ := sent["personalisation"].(map[string]any)
	if sent["template_id"] != template || sent["reference"] != "n1/dev-officer" || p["subject"] != "Seizure approved — SEIZ-1" ||
		p["body"] != "Your seizure was approved.\n" {
		t.Errorf("sent %v", sent)
	}
	var permanent *mail.PermanentError
	if err := n.Send(t.Context(), message("stranger@example.com")); !errors.As(err, &permanent) || !strings.Contains(err.Error(), "team-only key") {
		t.Errorf("team key: %v, want a permanent refusal naming the team-only key", err)
	}
	if err := n.Send(t.Context(), message("busy@example.gov.uk")); err == nil || errors.As(err, &permanent) || !strings.Contains(err.Error(), "RateLimitError") {
		t.Errorf("rate limit: %v, want one to retry naming the limit", err)
	}
	wrong, _ := mail.NewNotify("cop_live-"+service+"-00000000-0000-4000-8000-000000000000", template, fake.URL)
	if err := wrong.Send(context.Background(), message("officer@example.gov.uk")); !errors.As(err, &permanent) || !strings.Contains(err.Error(), "refused the API key") {
		t.Errorf("wrong key: %v", err)
	}
	for _, bad := range [][2]string{{"not-a-key", template}, {key, "template"}} {
		if _, err := mail.NewNotify(bad[0], bad[1], ""); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}
