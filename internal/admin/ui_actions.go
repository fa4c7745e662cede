package admin

import (
	"net/http"

	"github.com/epusdt/epusdt/internal/totp"
)

func (a *Admin) postOrder(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("trade_id")
	to := "/admin/orders/" + id
	switch r.PathValue("action") {
	case "resend":
		return a.back(w, r, to, "Callback resend queued", a.resend(r.Context(), s, id))
	case "cancel":
		return a.back(w, r, to, "Order canceled", a.cancel(r.Context(), s, id))
	case "mark-paid":
		return a.back(w, r, to, "Order marked paid", a.markPaid(r.Context(), s, id, MarkPaidRequest{TxHash: r.PostFormValue("tx_hash")}))
	}
	return errf(http.StatusNotFound, "unknown action")
}

func (a *Admin) postAddWallet(w http.ResponseWriter, r *http.Request, s *session) error {
	_, err := a.addWallet(r.Context(), s, WalletRequest{Chain: r.PostFormValue("chain"), Address: r.PostFormValue("address"),
		Label: r.PostFormValue("label")})
	return a.back(w, r, "/admin/wallets", "Wallet added", err)
}

func (a *Admin) postWallet(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	switch act := r.PathValue("action"); act {
	case "enable", "disable", "remove", "label":
		return a.back(w, r, "/admin/wallets", "Wallet updated", a.changeWallet(r.Context(), s, id, act, r.PostFormValue("label")))
	}
	return errf(http.StatusNotFound, "unknown action")
}

func (a *Admin) postAttribute(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return a.back(w, r, "/admin/transfers", "Transfer attributed", a.attribute(r.Context(), s, id, r.PostFormValue("trade_id")))
}

func (a *Admin) postBulkResend(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := r.ParseForm(); err != nil {
		return errf(http.StatusBadRequest, "bad form")
	}
	res, err := a.bulkResend(r.Context(), s, BulkResendRequest{TradeIDs: r.PostForm["trade_id"], Status: r.PostFormValue("status")})
	if err == nil && len(res.Failed) > 0 {
		for id, msg := range res.Failed {
			err = errf(http.StatusConflict, "%d queued, %d refused (e.g. %s: %s)", len(res.Resent), len(res.Failed), id, msg)
			break
		}
	}
	return a.back(w, r, "/admin/callbacks", "Callbacks queued", err)
}

func (a *Admin) postRotateToken(w http.ResponseWriter, r *http.Request, s *session) error {
	tok, err := a.rotateToken(r.Context(), s)
	if err != nil {
		return err
	}
	a.renderSettings(w, r, s, settingsData{NewToken: tok})
	return nil
}

func (a *Admin) postAccount(w http.ResponseWriter, r *http.Request, s *session) error {
	if r.PathValue("action") != "password" {
		return errf(http.StatusNotFound, "unknown action")
	}
	p, err := a.changePassword(r.Context(), s, PasswordRequest{CurrentPassword: r.PostFormValue("current_password"),
		NewPassword: r.PostFormValue("new_password")})
	if err == nil {
		a.setSessionCookies(w, p)
	}
	return a.back(w, r, "/admin/settings", "Password changed", err)
}

func (a *Admin) postTOTP(w http.ResponseWriter, r *http.Request, s *session) error {
	switch r.PathValue("action") {
	case "setup":
		secret, err := totp.NewSecret()
		if err != nil {
			return err
		}
		a.renderSettings(w, r, s, settingsData{TOTP: &TOTPSetup{Secret: secret, URI: totp.URI(a.cfg.AppName, s.admin.Username, secret)}})
		return nil
	case "enable":
		return a.back(w, r, "/admin/settings", "TOTP enabled", a.enableTOTP(r.Context(), s, r.PostFormValue("secret"), r.PostFormValue("code")))
	case "disable":
		return a.back(w, r, "/admin/settings", "TOTP disabled", a.disableTOTP(r.Context(), s, r.PostFormValue("password")))
	}
	return errf(http.StatusNotFound, "unknown action")
}
