package devstack

import (
	"bytes"
	"html/template"
	"io"
	"net/http"
	"strings"

	"cop/ui"
)

// loginPage is the development provider's sign-in page, in the GOV.UK
// Design System's styles (served here from COP's own copy), so a demo looks
// like the service. The password field is masked as any would be.
var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html lang="en-GB" class="govuk-template">
<head>
  <meta charset="utf-8">
  <title>{{if .Error}}Error: {{end}}Sign in – COP development sign-in</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/assets/govuk-frontend.min.css">
</head>
<body class="govuk-template__body">
  <a href="#main-content" class="govuk-skip-link">Skip to main content</a>
  <header class="govuk-header"><div class="govuk-header__container govuk-width-container">
    <span class="govuk-header__link govuk-header__service-name">COP development sign-in</span>
  </div></header>
  <div class="govuk-width-container">
    <div class="govuk-phase-banner"><p class="govuk-phase-banner__content">
      <strong class="govuk-tag govuk-phase-banner__content__tag">Development</strong>
      <span class="govuk-phase-banner__text">This sign-in service runs only on a developer's machine, for COP's demo users.</span>
    </p></div>
    <main class="govuk-main-wrapper" id="main-content">
      <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
{{- if .Error}}
        <div class="govuk-error-summary" data-module="govuk-error-summary"><div role="alert">
          <h2 class="govuk-error-summary__title">There is a problem</h2>
          <div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list"><li><a href="#username">{{.Error}}</a></li></ul></div>
        </div></div>
{{- end}}
        <h1 class="govuk-heading-l">Sign in</h1>
        <form method="post" action="/login/username" novalidate>
          <input type="hidden" name="id" value="{{.ID}}">
          <div class="govuk-form-group{{if .Error}} govuk-form-group--error{{end}}">
            <label class="govuk-label" for="username">Username</label>
            <div class="govuk-hint" id="username-hint">A demo user: officer, officer-dover, supervisor, author, integrator, manager or admin</div>
            <input class="govuk-input govuk-!-width-one-half" id="username" name="username" type="text" value="{{.Username}}" autocomplete="username" spellcheck="false" aria-describedby="username-hint">
          </div>
          <div class="govuk-form-group{{if .Error}} govuk-form-group--error{{end}}">
            <label class="govuk-label" for="password">Password</label>
            <div class="govuk-hint" id="password-hint">cop dev printed it when it started</div>
            <input class="govuk-input govuk-!-width-one-half" id="password" name="password" type="password" autocomplete="current-password" aria-describedby="password-hint">
          </div>
          <button type="submit" class="govuk-button" data-module="govuk-button">Sign in</button>
        </form>
      </div></div>
    </main>
  </div>
</body>
</html>`))

type loginData struct{ ID, Username, Error string }

// withLoginPage serves the sign-in page and GOV.UK's assets in front of
// the provider. A correct username and password goes on to the provider's
// own handler, which completes the sign-in; a wrong one gets this page
// again with the error.
func withLoginPage(next http.Handler, check func(username, password, id string) error) http.Handler {
	assets := http.StripPrefix("/assets", http.FileServer(http.FS(ui.Assets())))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/assets/"):
			assets.ServeHTTP(w, r)
		case r.URL.Path == "/login/username" && r.Method == http.MethodGet:
			renderLoginPage(w, http.StatusOK, loginData{ID: r.URL.Query().Get("authRequestID")})
		case r.URL.Path == "/login/username" && r.Method == http.MethodPost:
			body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
			if err != nil {
				http.Error(w, "cannot read the form", http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if err := r.ParseForm(); err != nil {
				http.Error(w, "cannot read the form", http.StatusBadRequest)
				return
			}
			id, user := r.PostForm.Get("id"), r.PostForm.Get("username")
			if check(user, r.PostForm.Get("password"), id) != nil {
				renderLoginPage(w, http.StatusUnauthorized, loginData{ID: id, Username: user, Error: "Enter a demo user's username and the development password"})
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.PostForm, r.Form = nil, nil
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func renderLoginPage(w http.ResponseWriter, status int, d loginData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, d)
}
