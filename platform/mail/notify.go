package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// NotifyBaseURL is GOV.UK Notify's API.
const NotifyBaseURL = "https://api.notifications.service.gov.uk"

// Notify sends through GOV.UK Notify's REST API: each email is its
// template (COP_NOTIFY_TEMPLATE_ID, whose content must use the
// personalisation fields ((subject)) and ((body))), authorised by a JWT
// made from the API key.
type Notify struct {
	BaseURL  string
	service  string // the key's service id: the token's issuer
	secret   string // the key's secret: what signs the token
	template string
	Client   *http.Client
}

// notifyKey is Notify's API key: a name, the service id and the secret
// key, the last two UUIDs.
var notifyKey = regexp.MustCompile(`^.+-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// NewNotify reads COP_NOTIFY_API_KEY and COP_NOTIFY_TEMPLATE_ID.
func NewNotify(key, template, baseURL string) (*Notify, error) {
	m := notifyKey.FindStringSubmatch(strings.TrimSpace(key))
	if m == nil {
		return nil, fmt.Errorf("COP_NOTIFY_API_KEY must be a GOV.UK Notify API key (its name, then two UUIDs: the service id and the secret)")
	}
	if !uuidPattern.MatchString(template) {
		return nil, fmt.Errorf("COP_NOTIFY_TEMPLATE_ID must be the UUID of a Notify email template, got %q", template)
	}
	if baseURL == "" {
		baseURL = NotifyBaseURL
	}
	return &Notify{BaseURL: strings.TrimRight(baseURL, "/"), service: m[1], secret: m[2], template: template,
		Client: &http.Client{Timeout: 30 * time.Second}}, nil
}

// Name says which service.
func (n *Notify) Name() string { return "GOV.UK Notify (service " + n.service + ")" }

// token is the bearer token Notify checks: HS256 over the issuer (the
// service id) and the time it was made.
func (n *Notify) token(now time.Time) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": n.service, "iat": now.Unix()})
	return t.SignedString([]byte(n.secret))
}

// notifyError is Notify's error body.
type notifyError struct {
	StatusCode int `json:"status_code"`
	Errors     []struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Send posts one email; Notify's refusals are told apart: a team-only key,
// a bad key, and other bad requests are permanent; its rate and daily
// limits and its own failures are retried.
func (n *Notify) Send(ctx context.Context, m Message) error {
	tok, err := n.token(time.Now())
	if err != nil {
		return fmt.Errorf("sign the Notify token: %w", err)
	}
	body, _ := json.Marshal(map[string]any{"email_address": m.To, "template_id": n.template, "reference": m.Reference,
		"personalisation": map[string]string{"subject": m.Subject, "body": m.Text}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.BaseURL+"/v2/notifications/email", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "COP")
	resp, err := n.Client.Do(req)
	if err != nil {
		return fmt.Errorf("GOV.UK Notify: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		return nil
	}
	var ne notifyError
	_ = json.Unmarshal(raw, &ne)
	kind, msg := "", strings.TrimSpace(string(raw))
	if len(ne.Errors) > 0 {
		kind, msg = ne.Errors[0].Error, ne.Errors[0].Message
	}
	switch {
	case resp.StatusCode == http.StatusBadRequest && strings.Contains(msg, "team-only API key"):
		return &PermanentError{fmt.Errorf("GOV.UK Notify refused: COP_NOTIFY_API_KEY is a team-only key, which sends only to the Notify team and its guest list, not %s (use a live key): %s", m.To, msg)}
	case resp.StatusCode == http.StatusForbidden:
		return &PermanentError{fmt.Errorf("GOV.UK Notify refused the API key (%s): %s", kind, msg)}
	case resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("GOV.UK Notify's limit (%s): %s", kind, msg)
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return &PermanentError{fmt.Errorf("GOV.UK Notify refused the email to %s (%d %s): %s", m.To, resp.StatusCode, kind, msg)}
	}
	return fmt.Errorf("GOV.UK Notify answered %d: %s", resp.StatusCode, msg)
}
