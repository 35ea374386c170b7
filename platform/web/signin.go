package web

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/directory"
	"cop/platform/store"
	"cop/platform/web/route"
	"cop/ui"
)

// bindSignIn: the browser's sign-in and sign-out, and GOV.UK Frontend's
// assets (CSS, JavaScript, fonts and images) for every page.
func (s *Server) bindSignIn() {
	s.router.Add(fiber.MethodGet, "/login", auth.Public, s.login)
	s.router.Add(fiber.MethodGet, "/auth/callback", auth.Public, s.callback)
	s.router.Add(fiber.MethodPost, "/logout", auth.SignedIn, s.logout, route.TakesPageForm)
	s.router.Add(fiber.MethodGet, "/signed-out", auth.Public, s.signedOut)
	s.router.Add(fiber.MethodGet, "/assets/*", auth.Public, s.assets())
}

// cookiePolicy names and flags COP's cookies. They are Secure except when
// COP is served over plain HTTP on localhost (the config refuses plain HTTP
// anywhere else). Over https the session cookie uses the __Host- prefix
// (Secure, Path=/, no Domain); the sign-in cookie, scoped to the callback
// path, can only use __Secure-.
type cookiePolicy struct {
	secure  bool
	session string
	login   string
	lang    string // the language an officer chose, for the browser session
}

func newCookiePolicy(public *url.URL) cookiePolicy {
	if public.Scheme == "https" {
		return cookiePolicy{secure: true, session: "__Host-cop_session", login: "__Secure-cop_login", lang: "__Host-cop_lang"}
	}
	return cookiePolicy{session: "cop_session", login: "cop_login", lang: "cop_lang"}
}

func (s *Server) setCookie(c *fiber.Ctx, name, value, path string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: value, Path: path, MaxAge: int(maxAge.Seconds()),
		HTTPOnly: true, Secure: s.cookies.secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

func (s *Server) clearCookie(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{
		Name: name, Value: "", Path: path, MaxAge: -1, Expires: time.Unix(0, 0),
		HTTPOnly: true, Secure: s.cookies.secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// login starts the authorization code flow: the state travels in a cookie
// bound to this browser, nonce and PKCE verifier stay on the server.
func (s *Server) login(c *fiber.Ctx) error {
	returnTo := ui.SafeReturn(c.Query("return_to", "/"))
	if route.Principal(c) != nil && route.Session(c) != nil {
		return c.Redirect(returnTo, fiber.StatusSeeOther)
	}
	redirect, state, err := s.deps.Auth.BeginLogin(c.UserContext(), returnTo)
	if err != nil {
		s.log.Error("cannot start sign-in", "request_id", route.RequestID(c), "err", err)
		return s.pages.Render(c, fiber.StatusServiceUnavailable, "error", ui.ErrorData{
			Title: "Sign-in is unavailable", Detail: "The sign-in service cannot be reached. Try again in a few minutes."})
	}
	s.setCookie(c, s.cookies.login, state, "/auth/callback", 15*time.Minute)
	return c.Redirect(redirect, fiber.StatusSeeOther)
}

// callback completes a sign-in, creates the session and audits it in one
// transaction, and returns the browser to where it was going.
func (s *Server) callback(c *fiber.Ctx) error {
	ctx := c.UserContext()
	refuse := func(reason string) error {
		_ = audit.Record(ctx, s.deps.Pool, route.Who(c).Entry("auth.login", "session", audit.Rejected, map[string]any{"reason": reason}))
		return s.pages.Render(c, fiber.StatusBadRequest, "error", ui.ErrorData{Title: "Sign-in could not be completed", Detail: reason, SignIn: true})
	}
	if e := c.Query("error"); e != "" {
		return refuse(providerRefusal(e))
	}
	login, err := s.deps.Auth.FinishLogin(ctx, c.Cookies(s.cookies.login), c.Query("state"), c.Query("code"))
	s.clearCookie(c, s.cookies.login, "/auth/callback")
	var le *auth.LoginError
	if errors.As(err, &le) {
		return refuse(le.Reason)
	}
	if err != nil {
		return err
	}
	var token string
	err = store.InTx(ctx, s.deps.Pool, func(tx pgx.Tx) error {
		if token, err = s.deps.Auth.CreateSession(ctx, tx, login); err != nil {
			return err
		}
		if err := directory.Record(ctx, tx, login.Principal); err != nil {
			return err
		}
		w := route.Who(c)
		w.Actor = login.Principal.Subject
		return audit.Record(ctx, tx, w.Entry("auth.login", "session", audit.OK,
			map[string]any{"roles": login.Principal.Roles, "teams": login.Principal.Teams}))
	})
	if err != nil {
		return err
	}
	s.setCookie(c, s.cookies.session, token, "/", 0)
	return c.Redirect(login.ReturnTo, fiber.StatusSeeOther)
}

// providerRefusal says in COP's words why the provider sent the browser
// back without a sign-in. The query string is anyone's to write, so neither
// its error_description nor an unknown code is shown (a link could
// otherwise make COP's page say "call this number").
func providerRefusal(code string) string {
	switch code {
	case "access_denied":
		return "the sign-in was cancelled or refused at the sign-in service"
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return "the sign-in service needs you to sign in again"
	case "temporarily_unavailable", "server_error":
		return "the sign-in service is not working at the moment; try again in a few minutes"
	default:
		return "the sign-in service could not sign you in"
	}
}

// logout ends the browser session (the form must carry the session's CSRF
// token) and sends the browser to the provider to end its session too.
func (s *Server) logout(c *fiber.Ctx) error {
	sess := route.Session(c)
	if sess == nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, "sign-out is for browser sessions; API tokens simply expire")
	}
	if !route.PostedCSRF(c, sess) {
		return s.pages.Render(c, fiber.StatusForbidden, "error", ui.ErrorData{Title: "Sign-out was refused",
			Detail: "The form was out of date. Go back, reload the page and try again."})
	}
	next, err := s.deps.Auth.Logout(c.UserContext(), sess, c.Cookies(s.cookies.session), s.deps.PublicURL.String()+"/signed-out")
	outcome := audit.OK
	if err != nil {
		outcome = audit.Failed
	}
	_ = audit.Record(c.UserContext(), s.deps.Pool, route.Who(c).Entry("auth.logout", "session", outcome, nil))
	if err != nil {
		return err
	}
	s.clearCookie(c, s.cookies.session, "/")
	return c.Redirect(next, fiber.StatusSeeOther)
}

// signedOut confirms sign-out.
func (s *Server) signedOut(c *fiber.Ctx) error {
	return s.pages.Render(c, fiber.StatusOK, "signed-out", nil)
}

// assets serves GOV.UK Frontend's CSS, JavaScript, fonts and images.
func (s *Server) assets() fiber.Handler {
	files := http.FS(ui.Assets())
	return func(c *fiber.Ctx) error {
		name := "/" + c.Params("*")
		f, err := files.Open(name)
		if err != nil {
			return fiber.ErrNotFound
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil || info.IsDir() {
			return fiber.ErrNotFound
		}
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			c.Set(fiber.HeaderContentType, ct)
		}
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.SendStream(f, int(info.Size()))
	}
}
