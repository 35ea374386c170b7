package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"

	gomail "github.com/wneessen/go-mail"
)

// SMTP sends through an SMTP server with github.com/wneessen/go-mail.
type SMTP struct {
	host     string
	port     int
	tls      string // starttls (required), implicit, or none (loopback only)
	user     string
	password string
	from     string
	// TLSConfig overrides the TLS settings (a test's own CA).
	TLSConfig *tls.Config
}

// ParseSMTP reads COP_SMTP_URL and COP_MAIL_FROM:
// smtp://[user:password@]host[:port] sends with STARTTLS, required (port
// 587 unless given); smtps:// over TLS from the start (465);
// ?tls=none sends in the clear, to a server on this machine only.
func ParseSMTP(raw, from string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return nil, fmt.Errorf("COP_SMTP_URL must be smtp://[user:password@]host[:port] (STARTTLS) or smtps://… (TLS), got %q", redact(raw))
	}
	s := &SMTP{host: u.Hostname(), tls: "starttls", port: 587}
	if u.Scheme == "smtps" {
		s.tls, s.port = "implicit", 465
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("COP_SMTP_URL: port %q is not a port", p)
		}
	}
	for k, v := range u.Query() {
		switch {
		case k == "tls" && len(v) == 1 && v[0] == "none" && u.Scheme == "smtp":
			if ip := net.ParseIP(s.host); s.host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				return nil, fmt.Errorf("COP_SMTP_URL: tls=none sends mail (and any password) in the clear, so only to a server on this machine, not %s", s.host)
			}
			s.tls = "none"
		default:
			return nil, fmt.Errorf("COP_SMTP_URL: unknown option %s=%v (the one option is tls=none, for a server on this machine)", k, v)
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("COP_MAIL_FROM must be the address COP sends from, such as \"COP <cop@example.gov.uk>\", got %q", from)
	}
	s.from = from
	return s, nil
}

// redact hides a URL's password.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unreadable)"
}

// Name says which server.
func (s *SMTP) Name() string { return "SMTP " + net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// Send delivers one message; a 5xx refusal is permanent.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	opts := []gomail.Option{gomail.WithPort(s.port), gomail.WithTimeout(30e9)}
	switch s.tls {
	case "implicit":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(s.TLSConfig))
	}
	if s.user != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.user), gomail.WithPassword(s.password))
	}
	c, err := gomail.NewClient(s.host, opts...)
	if err != nil {
		return fmt.Errorf("set up SMTP to %s: %w", s.host, err)
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return &PermanentError{fmt.Errorf("from %q: %w", s.from, err)}
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return &PermanentError{fmt.Errorf("address %q: %w", m.To, err)}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDate()
	msg.SetUserAgent("COP")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	err = c.DialAndSendWithContext(ctx, msg)
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500 {
		return &PermanentError{fmt.Errorf("%s refused the email to %s: %w", s.Name(), m.To, err)}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name(), err)
	}
	return nil
}
