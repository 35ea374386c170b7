package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Verify checks a COP webhook: a signature made with the secret, over
// id.timestamp.body, at a time within five minutes of now.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("the secret is not whsec_ and base64: %w", err)
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sent, 0)).Abs() > 5*time.Minute {
		return errors.New("webhook-timestamp is missing or not within five minutes")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no webhook-signature verifies")
}

// The Go a receiver is told to write (docs/integrations.md) is the
// function above, and it verifies what COP signs: one secret, either of
// two during a rotation, and nothing stale or forged.
func TestTheDocumentedVerifyWorks(t *testing.T) {
	self, _ := os.ReadFile("verify_doc_test.go")
	doc, _ := os.ReadFile("../../docs/integrations.md")
	start := strings.Index(string(self), "// Verify checks")
	fn := string(self)[start : start+strings.Index(string(self)[start:], "\n}\n")+3]
	if !strings.Contains(string(doc), "```go\n"+fn+"```") {
		t.Fatal("docs/integrations.md does not show this file's Verify as it is")
	}
	old, _ := NewSecret()
	cur, _ := NewSecret()
	body := []byte(`{"specversion":"1.0","id":"e1","type":"cop.case.opened"}`)
	now := time.Now()
	header := func(secrets []string, at time.Time, b []byte) http.Header {
		sig, err := Signature(secrets, "e1", at, b)
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Webhook-Id": {"e1"}, "Webhook-Timestamp": {strconv.FormatInt(at.Unix(), 10)}, "Webhook-Signature": {sig}}
	}
	for name, c := range map[string]struct {
		secret string
		h      http.Header
		b      []byte
		ok     bool
	}{
		"signed":            {cur, header([]string{cur}, now, body), body, true},
		"rotating: the new": {cur, header([]string{cur, old}, now, body), body, true},
		"rotating: the old": {old, header([]string{cur, old}, now, body), body, true},
		"another secret":    {old, header([]string{cur}, now, body), body, false},
		"a changed body":    {cur, header([]string{cur}, now, body), append([]byte(" "), body...), false},
		"ten minutes old":   {cur, header([]string{cur}, now.Add(-10*time.Minute), body), body, false},
		"no timestamp":      {cur, http.Header{"Webhook-Id": {"e1"}, "Webhook-Signature": {"v1,x"}}, body, false},
	} {
		if err := Verify(c.secret, c.h, c.b, now); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", name, err, c.ok)
		}
	}
}
