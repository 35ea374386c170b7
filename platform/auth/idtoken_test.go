package auth

import (
	"encoding/base64"
	"testing"
)

func jwtWithHeader(header string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(header)) + ".e30.sig"
}

// What marks a token as an ID token, in the forms providers use; an
// access token of each common shape carries none of them.
func TestIDTokenMarks(t *testing.T) {
	at := jwtWithHeader(`{"alg":"RS256","typ":"at+jwt"}`)
	for _, c := range []struct {
		raw    string
		claims map[string]any
		want   string
	}{
		{at, map[string]any{"nonce": "n"}, "it carries nonce"},
		{at, map[string]any{"at_hash": "h"}, "it carries at_hash"},
		{at, map[string]any{"c_hash": "h"}, "it carries c_hash"},
		{at, map[string]any{"typ": "ID"}, "typ is ID"},
		{at, map[string]any{"token_use": "id"}, "token_use is id"},
		{jwtWithHeader(`{"alg":"RS256","typ":"id_token+jwt"}`), map[string]any{}, "its header's typ is id_token+jwt"},
		{jwtWithHeader(`{"alg":"RS256","typ":"JWT"}`), map[string]any{"typ": "Bearer", "client_id": "cop"}, ""},
		{jwtWithHeader(`{"alg":"RS256"}`), map[string]any{"token_use": "access", "scope": "openid"}, ""},
		{at, map[string]any{"azp": "cop", "auth_time": 1}, ""},
	} {
		if got := idTokenMark(c.raw, c.claims); got != c.want {
			t.Errorf("%v: %q, want %q", c.claims, got, c.want)
		}
	}
}
