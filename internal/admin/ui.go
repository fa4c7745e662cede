package admin

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/admin/ui"
	"github.com/epusdt/epusdt/internal/httpx"
)

const cookieLang = "epusdt_admin_lang"

var pageNames = []string{"login", "dashboard", "orders", "order", "wallets", "transfers", "callbacks", "audit", "settings", "error"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"t": translate,
		"fmtTime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05")
		},
		"short": func(s string) string {
			if len(s) <= 18 {
				return s
			}
			return s[:10] + "…" + s[len(s)-6:]
		},
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(ui.Files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("admin: parse template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page template gets.
type view struct {
	Lang    string
	Title   string
	Nav     string
	AppName string
	User    string
	CSRF    string
	Flash   string
	Error   string
	Data    any
}

// langOf picks the UI language: ?lang=, then the cookie, then
// Accept-Language; English by default.
func (a *Admin) langOf(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: cookieLang, Value: l, Path: cookiePath, MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: a.secure, SameSite: http.SameSiteStrictMode})
		return l
	}
	if c, err := r.Cookie(cookieLang); err == nil && (c.Value == "zh" || c.Value == "en") {
		return c.Value
	}
	if strings.HasPrefix(strings.ToLower(r.Header.Get("Accept-Language")), "zh") {
		return "zh"
	}
	return "en"
}

func (a *Admin) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.Lang, v.AppName = a.langOf(w, r), a.cfg.AppName
	if v.Flash == "" {
		v.Flash = flashKey(r.URL.Query().Get("ok"))
	}
	if v.Error == "" {
		v.Error = r.URL.Query().Get("err")
	}
	var buf bytes.Buffer
	if err := a.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		a.writeErr(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// flashKey accepts only known success messages from the URL.
func flashKey(k string) string {
	switch k {
	case "Callback resend queued", "Order canceled", "Order marked paid", "Wallet added", "Wallet updated",
		"Transfer attributed", "Callbacks queued", "Password changed", "TOTP enabled", "TOTP disabled":
		return k
	}
	return ""
}

// pageSession authenticates a browser request by its cookies, renewing an
// expired access token with the refresh cookie.
func (a *Admin) pageSession(w http.ResponseWriter, r *http.Request) (*session, error) {
	s, err := a.authenticate(r)
	if err == nil || !errors.Is(err, errBadToken) && !isUnauthorized(err) {
		return s, err
	}
	c, cerr := r.Cookie(CookieRefresh)
	if cerr != nil || c.Value == "" {
		return nil, err
	}
	p, _, rerr := a.rotate(r.Context(), c.Value)
	if rerr != nil {
		a.clearSessionCookies(w)
		return nil, rerr
	}
	a.setSessionCookies(w, p)
	cl, perr := a.parseAccess(p.AccessToken)
	if perr != nil {
		return nil, perr
	}
	return a.sessionFor(r.Context(), cl.Subject, cl.SID, true, a.clientIP(r))
}

func isUnauthorized(err error) bool {
	var he *httpError
	return errors.As(err, &he) && he.status == http.StatusUnauthorized
}

// page wraps a UI handler: a session (else the login page), CSRF on
// posts, and errors rendered as a page.
func (a *Admin) page(h apiHandler) http.Handler {
	return httpx.HTMLSecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.pageSession(w, r)
		if err != nil {
			if status, _ := a.statusOf(r, err); status != http.StatusUnauthorized {
				a.renderError(w, r, nil, err)
				return
			}
			next := "/admin/"
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		if err := a.checkCSRF(r, s); err != nil {
			a.renderError(w, r, s, err)
			return
		}
		if err := h(w, r, s); err != nil {
			a.renderError(w, r, s, err)
		}
	}))
}

func (a *Admin) renderError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	status, msg := a.statusOf(r, err)
	v := view{Title: "Error", Error: msg}
	if s != nil {
		v.User, v.CSRF = s.admin.Username, s.csrf
	}
	a.render(w, r, status, "error", v)
}

// back redirects a form post to a page with a success message, or with the
// error shown when err is a refusal the operator should read.
func (a *Admin) back(w http.ResponseWriter, r *http.Request, to, ok string, err error) error {
	q := url.Values{}
	if err != nil {
		status, msg := a.statusOf(r, err)
		if status >= 500 {
			return err
		}
		q.Set("err", msg)
	} else {
		q.Set("ok", ok)
	}
	http.Redirect(w, r, to+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}

func (a *Admin) uiRoutes() []httpx.Route {
	static, _ := fs.Sub(ui.Files, "static")
	files := http.StripPrefix("/admin/static/", http.FileServer(http.FS(static)))
	rs := []httpx.Route{
		{Pattern: "GET /admin/login", Group: httpx.GroupAdmin, Handler: httpx.HTMLSecurityHeaders(http.HandlerFunc(a.pageLogin))},
		{Pattern: "GET /admin/static/", Group: httpx.GroupAdmin, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=3600")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			files.ServeHTTP(w, r)
		})},
	}
	for pattern, h := range map[string]apiHandler{
		"GET /admin/{$}":                         a.pageDashboard,
		"GET /admin/orders":                      a.pageOrders,
		"GET /admin/orders.csv":                  a.pageOrdersCSV,
		"GET /admin/orders/{trade_id}":           a.pageOrder,
		"POST /admin/orders/{trade_id}/{action}": a.postOrder,
		"GET /admin/wallets":                     a.pageWallets,
		"POST /admin/wallets":                    a.postAddWallet,
		"POST /admin/wallets/{id}/{action}":      a.postWallet,
		"GET /admin/transfers":                   a.pageTransfers,
		"POST /admin/transfers/{id}/attribute":   a.postAttribute,
		"GET /admin/callbacks":                   a.pageCallbacks,
		"POST /admin/callbacks/resend":           a.postBulkResend,
		"GET /admin/audit":                       a.pageAudit,
		"GET /admin/settings":                    a.pageSettings,
		"POST /admin/settings/rotate-token":      a.postRotateToken,
		"POST /admin/account/{action}":           a.postAccount,
		"POST /admin/account/totp/{action}":      a.postTOTP,
		"POST /admin/logout":                     a.postLogout,
	} {
		rs = append(rs, httpx.Route{Pattern: pattern, Group: httpx.GroupAdmin, Handler: a.page(h)})
	}
	return rs
}
