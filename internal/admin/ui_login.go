package admin

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

const cookieLoginCSRF = "epusdt_admin_lc"

type loginData struct {
	LoginCSRF string
	Next      string
	Username  string
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(n string) string {
	if !strings.HasPrefix(n, "/admin") || strings.HasPrefix(n, "//") || strings.ContainsAny(n, "\\\r\n") {
		return "/admin/"
	}
	return n
}

func (a *Admin) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData, msg string) {
	d.LoginCSRF = randomHex(16)
	http.SetCookie(w, &http.Cookie{Name: cookieLoginCSRF, Value: d.LoginCSRF, Path: cookiePath, MaxAge: 3600,
		HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode})
	a.render(w, r, status, "login", view{Title: "Log in", Data: d, Error: msg})
}

func (a *Admin) pageLogin(w http.ResponseWriter, r *http.Request) {
	if s, err := a.authenticate(r); err == nil && s != nil {
		http.Redirect(w, r, "/admin/", http.StatusSeeOther)
		return
	}
	a.renderLogin(w, r, http.StatusOK, loginData{Next: safeNext(r.URL.Query().Get("next"))}, "")
}

// pageLoginPost logs in from the form: the login CSRF cookie must match
// the form field, then the same checks as the API.
func (a *Admin) pageLoginPost(w http.ResponseWriter, r *http.Request) {
	d := loginData{Next: safeNext(r.PostFormValue("next")), Username: r.PostFormValue("username")}
	c, err := r.Cookie(cookieLoginCSRF)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("login_csrf"))) != 1 {
		a.renderLogin(w, r, http.StatusForbidden, d, "The login form expired; please try again.")
		return
	}
	p, err := a.login(r.Context(), LoginRequest{Username: d.Username, Password: r.PostFormValue("password"),
		TOTP: r.PostFormValue("totp")}, a.clientIP(r))
	if err != nil {
		status, msg := a.statusOf(r, err)
		a.renderLogin(w, r, status, d, msg)
		return
	}
	a.setSessionCookies(w, p)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (a *Admin) postLogout(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := a.logout(r.Context(), s); err != nil {
		return err
	}
	a.clearSessionCookies(w)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
	return nil
}
