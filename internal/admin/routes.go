package admin

import (
	"net/http"

	"github.com/epusdt/epusdt/internal/httpx"
)

type apiHandler = func(http.ResponseWriter, *http.Request, *session) error

// Routes returns the console's endpoints: the login endpoints in
// httpx.GroupLogin, everything else (JSON API, UI pages, assets) in
// httpx.GroupAdmin.
func (a *Admin) Routes() []httpx.Route {
	const p = "/admin/api/v1/"
	rs := []httpx.Route{
		{Pattern: "POST " + p + "auth/login", Group: httpx.GroupLogin, Handler: http.HandlerFunc(a.handleLogin)},
		{Pattern: "POST " + p + "auth/refresh", Group: httpx.GroupLogin, Handler: http.HandlerFunc(a.handleRefresh)},
		{Pattern: "POST /admin/login", Group: httpx.GroupLogin, Handler: httpx.HTMLSecurityHeaders(http.HandlerFunc(a.pageLoginPost))},
	}
	for pattern, h := range map[string]apiHandler{
		"POST " + p + "auth/logout":                 a.handleLogout,
		"POST " + p + "auth/password":               a.handlePassword,
		"POST " + p + "auth/totp/setup":             a.handleTOTPSetup,
		"POST " + p + "auth/totp/enable":            a.handleTOTP(true),
		"POST " + p + "auth/totp/disable":           a.handleTOTP(false),
		"GET " + p + "me":                           a.handleMe,
		"GET " + p + "dashboard":                    a.handleDashboard,
		"GET " + p + "orders":                       a.handleOrders,
		"GET " + p + "orders/{trade_id}":            a.handleOrder,
		"POST " + p + "orders/{trade_id}/resend":    a.handleOrderAction("resend"),
		"POST " + p + "orders/{trade_id}/cancel":    a.handleOrderAction("cancel"),
		"POST " + p + "orders/{trade_id}/mark-paid": a.handleMarkPaid,
		"GET " + p + "wallets":                      a.handleWallets,
		"POST " + p + "wallets":                     a.handleAddWallet,
		"POST " + p + "wallets/{id}/enable":         a.handleWalletAction("enable"),
		"POST " + p + "wallets/{id}/disable":        a.handleWalletAction("disable"),
		"POST " + p + "wallets/{id}/label":          a.handleWalletAction("label"),
		"POST " + p + "wallets/{id}/remove":         a.handleWalletAction("remove"),
		"GET " + p + "transfers":                    a.handleTransfers,
		"POST " + p + "transfers/{id}/attribute":    a.handleAttribute,
		"GET " + p + "callbacks":                    a.handleCallbacks,
		"POST " + p + "callbacks/resend":            a.handleBulkResend,
		"GET " + p + "audit":                        a.handleAudit,
		"GET " + p + "settings":                     a.handleSettings,
		"POST " + p + "settings/api-token/rotate":   a.handleRotateToken,
	} {
		rs = append(rs, httpx.Route{Pattern: pattern, Group: httpx.GroupAdmin, Handler: a.api(h)})
	}
	return append(rs, a.uiRoutes()...)
}
