package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// DevPassword is every demo user's password. It is printed by `cop dev` and
// written in the README: this provider exists only on a developer's machine.
const DevPassword = "cop-dev-password"

// Dev client credentials registered with the provider.
const (
	DevClientID     = "cop"
	DevClientSecret = "cop-dev-secret"
	// DevAPIAudience is the audience of the access tokens the provider
	// issues to COP's client: COP's API, named apart from the client id
	// as a production provider would (an API resource, an audience mapper).
	DevAPIAudience = "cop-api"
)

// DemoUser is a user of the development provider.
type DemoUser struct {
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Teams    []string `json:"teams"`
}

// DemoUsers are named after their role; officer-dover is an officer in
// another team, for trying what one team may not see of another's work.
var DemoUsers = []DemoUser{
	{Username: "officer", Name: "Olu Officer", Roles: []string{"officer"}, Teams: []string{"heathrow-t5"}},
	{Username: "officer-dover", Name: "Dee Dover", Roles: []string{"officer"}, Teams: []string{"dover-east"}},
	{Username: "supervisor", Name: "Sam Supervisor", Roles: []string{"supervisor"}, Teams: []string{"heathrow-t5"}},
	{Username: "author", Name: "Ada Author", Roles: []string{"author"}, Teams: []string{"workflow-authors"}},
	{Username: "integrator", Name: "Ian Integrator", Roles: []string{"integrator"}, Teams: []string{"analytics"}},
	{Username: "manager", Name: "Mo Manager", Roles: []string{"manager"}, Teams: []string{"border-force-south"}},
	{Username: "operator", Name: "Oona Operator", Roles: []string{"operator"}, Teams: []string{"platform"}},
	{Username: "admin", Name: "Ari Admin", Roles: []string{"admin"}, Teams: []string{"platform"}},
}

// UserForRole returns the demo user named after role.
func UserForRole(role string) (DemoUser, bool) {
	for _, u := range DemoUsers {
		if u.Username == role {
			return u, true
		}
	}
	return DemoUser{}, false
}

// OIDCOptions configures the development provider.
type OIDCOptions struct {
	Listener net.Listener // already bound, so a busy port is reported before anything starts
	// RedirectURIs are COP's callback URLs; PostLogoutURIs where logout may return.
	RedirectURIs   []string
	PostLogoutURIs []string
	// ExtraClients registers more confidential clients (same secret), whose
	// tokens carry their own audience: tests use one to prove COP refuses
	// tokens minted for another application.
	ExtraClients []string
	// AccessTokenTTL is how long access tokens live (default one hour).
	AccessTokenTTL time.Duration
	Log            *slog.Logger
}

// OIDCProvider is a running development OpenID provider.
type OIDCProvider struct {
	Issuer string
	srv    *http.Server
}

// StartOIDC serves zitadel's OpenID provider with its example login page and
// in-memory storage, holding COP's demo users and one client, "cop", whose
// access tokens are JWTs carrying `roles` and `teams` claims.
func StartOIDC(opt OIDCOptions) (*OIDCProvider, error) {
	port := opt.Listener.Addr().(*net.TCPAddr).Port
	issuer := "http://localhost:" + strconv.Itoa(port)
	clients := map[string]*devClient{}
	for _, id := range append([]string{DevClientID}, opt.ExtraClients...) {
		clients[id] = &devClient{id: id, redirects: opt.RedirectURIs, postLogout: opt.PostLogoutURIs}
	}
	ttl := opt.AccessTokenTTL
	if ttl == 0 {
		ttl = time.Hour
	}
	st := &devStorage{Storage: storage.NewStorageWithClients(newDemoUserStore(), map[string]*storage.Client{}), clients: clients, ttl: ttl}
	router := exampleop.SetupServer(issuer, st, opt.Log.With("component", "dev-oidc"), false)
	srv := &http.Server{Handler: withLoginPage(router, st.CheckUsernamePassword), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(opt.Listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			opt.Log.Error("development OpenID provider stopped", "err", err)
		}
	}()
	return &OIDCProvider{Issuer: issuer, srv: srv}, nil
}

// Stop shuts the provider down.
func (p *OIDCProvider) Stop(ctx context.Context) error { return p.srv.Shutdown(ctx) }

// devStorage is the example storage with COP's clients, claims and token lifetime.
type devStorage struct {
	*storage.Storage
	clients map[string]*devClient
	ttl     time.Duration
}

func (s *devStorage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %q not found", id)
	}
	return c, nil
}

// AuthRequestByCode adds COP's API audience to sign-ins by COP's client.
// zitadel's example keeps one audience list for both tokens of a sign-in,
// so the ID token lists it too, beside the client id (its azp stays the
// client): COP refuses ID tokens as bearer tokens by their ID-token claims,
// whatever their audience.
func (s *devStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	req, err := s.Storage.AuthRequestByCode(ctx, code)
	if err != nil || req.GetClientID() != DevClientID {
		return req, err
	}
	return apiAudience{req}, nil
}

type apiAudience struct{ op.AuthRequest }

func (a apiAudience) GetAudience() []string {
	return append(slices.Clone(a.AuthRequest.GetAudience()), DevAPIAudience)
}

func (s *devStorage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if _, ok := s.clients[id]; !ok || secret != DevClientSecret {
		return errors.New("invalid client credentials")
	}
	return nil
}

// CreateAccessToken and CreateAccessAndRefreshTokens set the JWT access
// token's expiry (the example storage's is five minutes).
func (s *devStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	id, _, err := s.Storage.CreateAccessToken(ctx, req)
	return id, time.Now().Add(s.ttl), err
}

func (s *devStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	id, refresh, _, err := s.Storage.CreateAccessAndRefreshTokens(ctx, req, current)
	return id, refresh, time.Now().Add(s.ttl), err
}

// GetPrivateClaimsFromScopes adds roles and teams to JWT access tokens.
func (s *devStorage) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	claims, err := s.Storage.GetPrivateClaimsFromScopes(ctx, userID, clientID, scopes)
	if err != nil {
		return nil, err
	}
	if claims == nil {
		claims = map[string]any{}
	}
	if u, ok := demoUserByID(userID); ok {
		claims["roles"], claims["teams"] = u.Roles, u.Teams
		claims["name"], claims["email"] = u.Name, demoEmail(u.Username)
	}
	return claims, nil
}

// SetUserinfoFromRequest adds roles and teams to ID tokens.
func (s *devStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	addRoleClaims(info, req.GetSubject())
	return nil
}

// SetUserinfoFromToken adds roles and teams to the userinfo endpoint's answer.
func (s *devStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := s.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	addRoleClaims(info, info.Subject)
	return nil
}

func addRoleClaims(info *oidc.UserInfo, subject string) {
	if u, ok := demoUserByID(subject); ok {
		info.AppendClaims("roles", u.Roles)
		info.AppendClaims("teams", u.Teams)
	}
}

// demoEmail is a demo user's address: .localhost never leaves the machine,
// so mail a demo sends cannot reach anyone.
func demoEmail(username string) string { return username + "@cop.localhost" }

// demoUserID is a user's stable subject.
func demoUserID(username string) string { return "dev-" + username }

func demoUserByID(id string) (DemoUser, bool) {
	for _, u := range DemoUsers {
		if demoUserID(u.Username) == id {
			return u, true
		}
	}
	return DemoUser{}, false
}

type demoUserStore struct{ users map[string]*storage.User }

func newDemoUserStore() demoUserStore {
	s := demoUserStore{users: map[string]*storage.User{}}
	for _, u := range DemoUsers {
		s.users[demoUserID(u.Username)] = &storage.User{
			ID: demoUserID(u.Username), Username: u.Username, Password: DevPassword,
			FirstName: u.Name, Email: demoEmail(u.Username), EmailVerified: true,
			PreferredLanguage: language.BritishEnglish,
		}
	}
	return s
}

func (s demoUserStore) GetUserByID(id string) *storage.User { return s.users[id] }

func (s demoUserStore) GetUserByUsername(name string) *storage.User {
	return s.users[demoUserID(name)]
}

func (s demoUserStore) ExampleClientID() string { return "service" }

// devClient is COP's registration with the provider: a confidential web
// client using the authorization code flow, with JWT access tokens.
type devClient struct {
	id         string
	redirects  []string
	postLogout []string
}

func (c *devClient) GetID() string                       { return c.id }
func (c *devClient) RedirectURIs() []string              { return c.redirects }
func (c *devClient) PostLogoutRedirectURIs() []string    { return c.postLogout }
func (c *devClient) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *devClient) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *devClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *devClient) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}
func (c *devClient) LoginURL(id string) string            { return "/login/username?authRequestID=" + id }
func (c *devClient) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeJWT }
func (c *devClient) IDTokenLifetime() time.Duration       { return time.Hour }
func (c *devClient) DevMode() bool                        { return true } // allows http:// redirects on localhost
func (c *devClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *devClient) ClockSkew() time.Duration             { return 0 }
func (c *devClient) IsScopeAllowed(scope string) bool {
	return slices.Contains([]string{"roles", "teams"}, scope)
}
func (c *devClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *devClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
