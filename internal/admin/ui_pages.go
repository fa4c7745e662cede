package admin

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
)

func (a *Admin) base(s *session, title, nav string, data any) view {
	return view{Title: title, Nav: nav, User: s.admin.Username, CSRF: s.csrf, Data: data}
}

// queryMap flattens a query for templates (first values).
func queryMap(q url.Values) map[string]string {
	m := map[string]string{}
	for k := range q {
		m[k] = q.Get(k)
	}
	return m
}

// pageLinks returns the previous and next page URLs of a list.
func pageLinks(path string, q url.Values, p Page, n int) (prev, next string) {
	link := func(page int) string {
		c := url.Values{}
		for k, v := range q {
			c[k] = v
		}
		c.Set("page", strconv.Itoa(page))
		return path + "?" + c.Encode()
	}
	if p.Page > 1 {
		prev = link(p.Page - 1)
	}
	if p.Page*p.PerPage < n {
		next = link(p.Page + 1)
	}
	return prev, next
}

func (a *Admin) pageDashboard(w http.ResponseWriter, r *http.Request, s *session) error {
	d, err := a.dashboard(r.Context())
	if err != nil {
		return err
	}
	a.render(w, r, http.StatusOK, "dashboard", a.base(s, "Dashboard", "dashboard", d))
	return nil
}

func (a *Admin) pageOrders(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	f, p, err := orderFilter(q)
	if err != nil {
		return err
	}
	l, err := a.listOrders(r.Context(), f, p)
	if err != nil {
		return err
	}
	prev, next := pageLinks("/admin/orders", q, p, l.Total)
	csv := url.Values{}
	for k, v := range q {
		csv[k] = v
	}
	csv.Del("page")
	a.render(w, r, http.StatusOK, "orders", a.base(s, "Orders", "orders", map[string]any{
		"List": l, "Query": queryMap(q), "Prev": prev, "Next": next, "CSVURL": "/admin/orders.csv?" + csv.Encode(),
		"Statuses": []string{"waiting", "paid", "expired"}, "Chains": address.Chains()}))
	return nil
}

func (a *Admin) pageOrdersCSV(w http.ResponseWriter, r *http.Request, s *session) error {
	f, _, err := orderFilter(r.URL.Query())
	if err != nil {
		return err
	}
	return a.writeOrdersCSV(w, r, s, f)
}

func (a *Admin) pageOrder(w http.ResponseWriter, r *http.Request, s *session) error {
	d, err := a.orderDetail(r.Context(), r.PathValue("trade_id"))
	if err != nil {
		return err
	}
	a.render(w, r, http.StatusOK, "order", a.base(s, "Order", "orders", d))
	return nil
}

func (a *Admin) pageWallets(w http.ResponseWriter, r *http.Request, s *session) error {
	ws, err := a.listWallets(r.Context())
	if err != nil {
		return err
	}
	a.render(w, r, http.StatusOK, "wallets", a.base(s, "Wallets", "wallets", map[string]any{"Wallets": ws, "Chains": address.Chains()}))
	return nil
}

func (a *Admin) pageTransfers(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	l, err := a.listTransfers(r.Context(), q)
	if err != nil {
		return err
	}
	prev, next := pageLinks("/admin/transfers", q, l.Page, l.Total)
	a.render(w, r, http.StatusOK, "transfers", a.base(s, "Payments", "transfers", map[string]any{
		"List": l, "Query": queryMap(q), "Prev": prev, "Next": next, "Chains": address.Chains(),
		"Matches": []string{store.MatchAttention, store.MatchPaid, store.MatchLate, store.MatchLateOnly, store.MatchUnmatched}}))
	return nil
}

func (a *Admin) pageCallbacks(w http.ResponseWriter, r *http.Request, s *session) error {
	l, err := a.listCallbacks(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	a.render(w, r, http.StatusOK, "callbacks", a.base(s, "Callbacks", "callbacks", map[string]any{"List": l}))
	return nil
}

func (a *Admin) pageAudit(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	es, p, err := a.listAudit(r.Context(), q)
	if err != nil {
		return err
	}
	prev, next := pageLinks("/admin/audit", q, p, p.offset()+len(es)+boolInt(len(es) == p.PerPage))
	a.render(w, r, http.StatusOK, "audit", a.base(s, "Audit log", "audit", map[string]any{
		"Entries": es, "Query": queryMap(q), "Page": p.Page, "Prev": prev, "Next": next, "Enabled": a.d.Audit.Enabled()}))
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

type settingsData struct {
	Settings    Settings
	NewToken    string
	TOTP        *TOTPSetup
	TOTPEnabled bool
}

func (a *Admin) renderSettings(w http.ResponseWriter, r *http.Request, s *session, d settingsData) {
	d.Settings, d.TOTPEnabled = a.settings(), s.admin.TOTPSecret != ""
	a.render(w, r, http.StatusOK, "settings", a.base(s, "Settings", "settings", d))
}

func (a *Admin) pageSettings(w http.ResponseWriter, r *http.Request, s *session) error {
	a.renderSettings(w, r, s, settingsData{})
	return nil
}
