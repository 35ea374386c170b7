package devstack

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// MailCatcher is cop dev's SMTP server (github.com/emersion/go-smtp): it
// accepts every message and keeps it as an .eml file in Dir, with a
// Received header saying whether it came over TLS (ESMTPS).
type MailCatcher struct {
	Dir string
	// TLSConfig offers STARTTLS (a test's own certificate).
	TLSConfig *tls.Config
	// Refuse, when set, may refuse a recipient (a test's failing server).
	Refuse func(to string) error

	srv  *smtp.Server
	ln   net.Listener
	seq  atomic.Int64
	Addr string
}

// StartMailCatcher listens on addr ("127.0.0.1:1025") and serves until Close.
func StartMailCatcher(addr, dir string, tlsConfig *tls.Config) (*MailCatcher, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail catcher: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mail catcher: listen on %s (COP_DEV_SMTP_PORT): %w", addr, err)
	}
	m := &MailCatcher{Dir: dir, TLSConfig: tlsConfig, ln: ln, Addr: ln.Addr().String()}
	m.srv = smtp.NewServer(m)
	m.srv.Domain = "cop-dev"
	m.srv.TLSConfig = tlsConfig
	m.srv.AllowInsecureAuth = true
	m.srv.MaxMessageBytes = 10 << 20
	m.srv.MaxRecipients = 100
	m.srv.ReadTimeout, m.srv.WriteTimeout = time.Minute, time.Minute
	go func() { _ = m.srv.Serve(ln) }()
	return m, nil
}

// Close stops the server.
func (m *MailCatcher) Close() error { return m.srv.Close() }

// NewSession is go-smtp's Backend.
func (m *MailCatcher) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &catcherSession{m: m, conn: c}, nil
}

type catcherSession struct {
	m    *MailCatcher
	conn *smtp.Conn
	from string
	to   []string
}

func (s *catcherSession) Reset()        { s.from, s.to = "", nil }
func (s *catcherSession) Logout() error { return nil }

func (s *catcherSession) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth accepts any user name and password: a development server.
func (s *catcherSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(string, string, string) error { return nil }), nil
}

func (s *catcherSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *catcherSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.m.Refuse != nil {
		if err := s.m.Refuse(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

// Data keeps the message, as received, behind a Received header.
func (s *catcherSession) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	with := "ESMTP"
	if _, ok := s.conn.TLSConnectionState(); ok {
		with = "ESMTPS"
	}
	now := time.Now().UTC()
	var b bytes.Buffer
	fmt.Fprintf(&b, "Received: from %s by cop-dev with %s for <%s>; %s\r\n", s.conn.Hostname(), with, strings.Join(s.to, ">, <"),
		now.Format(time.RFC1123Z))
	b.Write(body)
	name := fmt.Sprintf("%s-%04d.eml", now.Format("20060102T150405.000000000Z"), s.m.seq.Add(1))
	tmp := filepath.Join(s.m.Dir, "."+name)
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(s.m.Dir, name))
}

// CaughtMail is one kept message, as `cop dev mail` lists it.
type CaughtMail struct {
	Path     string
	Received time.Time
	To       string
	Subject  string
	TLS      bool
	Header   mail.Header
	Body     string // decoded
}

// CaughtMails reads the messages kept in dir, newest first.
func CaughtMails(dir string) ([]CaughtMail, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []CaughtMail
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".eml") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		var bodyReader io.Reader = msg.Body
		switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			bodyReader = quotedprintable.NewReader(msg.Body)
		case "base64":
			bodyReader = base64.NewDecoder(base64.StdEncoding, msg.Body)
		}
		body, _ := io.ReadAll(bodyReader)
		c := CaughtMail{Path: path, To: msg.Header.Get("To"), Header: msg.Header, Body: string(body),
			TLS: strings.Contains(msg.Header.Get("Received"), " with ESMTPS ")}
		c.Subject = decodeHeader(msg.Header.Get("Subject"))
		c.Received, _ = mail.ParseDate(msg.Header.Get("Received")[strings.LastIndex(msg.Header.Get("Received"), ";")+1:])
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b CaughtMail) int { return strings.Compare(b.Path, a.Path) })
	return out, nil
}

func decodeHeader(v string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}
