package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"cop/workflows/engine"
)

// Timeout is how long a receiver has to answer one attempt.
const Timeout = 15 * time.Second

// excerptLimit is how much of a receiver's answer an attempt keeps.
const excerptLimit = 1024

// Outcome says what to do after an attempt.
type Outcome string

const (
	Delivered Outcome = "delivered" // a 2xx: done
	Retry     Outcome = "retry"     // anything else: try again on the schedule
	Disable   Outcome = "disable"   // 410 Gone: the receiver asks for no more
)

// Message is one signed request: the event's id (webhook-id, the same on
// every retry and replay), its CloudEvent body, and the subscription's
// secrets.
type Message struct {
	URL     string
	ID      string
	Body    []byte
	Secrets []string
}

// Attempt is what one try did, as the deliveries list shows it.
type Attempt struct {
	At      time.Time     `json:"at"`
	Status  int           `json:"status,omitempty"` // 0: no answer
	Latency time.Duration `json:"-"`
	Excerpt string        `json:"response,omitempty"`
	Error   string        `json:"error,omitempty"`
	Outcome Outcome       `json:"outcome"`
	// RetryAfter is the receiver's own Retry-After, when it gave one.
	RetryAfter time.Duration `json:"-"`
}

// NewClient is the HTTP client deliveries use: it never follows a redirect
// (the receiver's answer is the 3xx, retried) and gives up on an attempt
// after Timeout.
func NewClient() *http.Client {
	return &http.Client{Timeout: Timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Send makes one attempt: the body POSTed with the Standard Webhooks
// headers, signed at now.
func Send(ctx context.Context, c *http.Client, m Message, now time.Time) Attempt {
	a := Attempt{At: now.UTC(), Outcome: Retry}
	sig, err := Signature(m.Secrets, m.ID, now, m.Body)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		a.Error = fmt.Sprintf("build the request: %v", err)
		return a
	}
	req.Header.Set("Content-Type", "application/cloudevents+json")
	req.Header.Set("User-Agent", "COP-Webhooks/1")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := c.Do(req)
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = describe(err)
		return a
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, excerptLimit))
	a.Status, a.Excerpt = resp.StatusCode, string(excerpt)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		a.Outcome = Delivered
	case resp.StatusCode == http.StatusGone:
		a.Outcome = Disable
	default:
		a.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	}
	return a
}

// describe words a failed request for the deliveries list.
func describe(err error) string {
	var refused *engine.AddressRefused
	if errors.As(err, &refused) {
		// Which address a name resolves to is not the integrator's to learn.
		return "the receiver's host resolves to an address the outbound allow-list does not admit"
	}
	var timeout interface{ Timeout() bool }
	if errors.As(err, &timeout) && timeout.Timeout() {
		return fmt.Sprintf("no answer within %s", Timeout)
	}
	return err.Error()
}

// retryAfter reads a Retry-After of seconds or an HTTP date; 0 when there
// is none (or it is in the past).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
