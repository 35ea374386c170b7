package webhooks

import (
	"strings"
	"testing"
	"time"
)

// The specification's published test vector.
func TestSignatureMatchesTheSpecificationsVector(t *testing.T) {
	got, err := Signature([]string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("signature %q, %v", got, err)
	}
}

// While a secret is rotated, the old and the new one both sign.
func TestRotationSignsWithBoth(t *testing.T) {
	old, _ := NewSecret()
	fresh, _ := NewSecret()
	at, body := time.Unix(1700000000, 0), []byte(`{}`)
	both, err := Signature([]string{old, fresh}, "ev-1", at, body)
	if err != nil {
		t.Fatal(err)
	}
	one, _ := Signature([]string{old}, "ev-1", at, body)
	two, _ := Signature([]string{fresh}, "ev-1", at, body)
	if both != one+" "+two || one == two {
		t.Fatalf("rotation header %q, from %q and %q", both, one, two)
	}
}

func TestSecrets(t *testing.T) {
	s, err := NewSecret()
	if err != nil || !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("secret %q, %v", s, err)
	}
	if again, _ := NewSecret(); again == s {
		t.Fatal("two secrets are the same")
	}
	if _, err := Signature([]string{"whsec_not base64!"}, "id", time.Now(), nil); err == nil {
		t.Fatal("a secret that is not base64 signed")
	}
}
