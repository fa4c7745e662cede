package api

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/shopspring/decimal"
	"github.com/skip2/go-qrcode"
	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/payment"
	"github.com/epusdt/epusdt/internal/store"
)

// pageBase is what every cashier template needs.
type pageBase struct {
	Lang, OtherLang, OtherLangName string
	T                              map[string]string
	Title                          string
	Static, AssetVersion           string
	TradeID                        string
	RedirectURL                    string
}

// cashierPage is the data of page.html.
type cashierPage struct {
	pageBase
	ChainLabel       string
	Amount           string
	Fiat, FiatAmount string
	Address          string
	QR, PayLinkQR    template.URL
	PayLink          template.URL
	ExpiresMS, NowMS int64
	StatusURL        string
}

// noticePage is the data of notice.html (unknown, paid, expired orders).
type noticePage struct {
	pageBase
	Kind, Heading, Text string
}

func (a *API) base(r *http.Request, tradeID string) pageBase {
	lang := pickLang(r)
	t := a.msgs[lang]
	return pageBase{Lang: lang, OtherLang: otherLang(lang), OtherLangName: a.msgs[otherLang(lang)]["lang_name"], T: t,
		Title: t["title"] + " · " + a.appName, Static: a.static, AssetVersion: a.assetVer, TradeID: tradeID}
}

// cashier answers GET /pay/checkout-counter/{trade_id}.
func (a *API) cashier(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("trade_id")
	b := a.base(r, "")
	v, err := a.pay.Status(r.Context(), id, a.progress)
	switch {
	case errors.Is(err, payment.ErrNotFound) || (err == nil && len(id) > 64):
		a.notice(w, http.StatusNotFound, b, "unknown")
		return
	case err != nil:
		a.log.Error("cashier page", zap.String("trade_id", id), zap.Error(err))
		a.notice(w, http.StatusInternalServerError, b, "error")
		return
	}
	b.TradeID, b.RedirectURL = v.Order.TradeID, v.Order.RedirectURL
	switch {
	case v.Status == store.OrderPaid:
		a.notice(w, http.StatusOK, b, "paid")
		return
	case v.Status == store.OrderExpired && !v.Seen:
		b.RedirectURL = ""
		a.notice(w, http.StatusOK, b, "expired")
		return
	}
	p, err := a.cashierPage(b, v)
	if err != nil {
		a.log.Error("cashier page", zap.String("trade_id", id), zap.Error(err))
		a.notice(w, http.StatusInternalServerError, b, "error")
		return
	}
	a.render(w, http.StatusOK, "page.html", p)
}

func (a *API) cashierPage(b pageBase, v payment.StatusView) (cashierPage, error) {
	o := v.Order
	amt := displayAmount(o.ActualAmount)
	p := cashierPage{pageBase: b, ChainLabel: b.T["chain_"+o.Chain], Amount: amt, Fiat: o.Fiat, FiatAmount: o.Amount,
		Address: o.Token, ExpiresMS: o.ExpiresAt.UnixMilli(), NowMS: a.now().UnixMilli(),
		StatusURL: "/pay/check-status/" + o.TradeID}
	var err error
	if p.QR, err = qrDataURI(o.Token); err != nil {
		return p, err
	}
	if link := paymentLink(o); link != "" {
		p.PayLink = template.URL(link) // built from stored, validated addresses and digits only
		if p.PayLinkQR, err = qrDataURI(link); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (a *API) notice(w http.ResponseWriter, status int, b pageBase, kind string) {
	n := noticePage{pageBase: b, Kind: kind, Heading: b.T[kind+"_title"], Text: b.T[kind+"_text"]}
	n.Title = n.Heading + " · " + a.appName
	a.render(w, status, "notice.html", n)
}

func (a *API) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := a.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		a.log.Error("render template", zap.String("template", name), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// displayAmount shows a USDT amount with at least two decimals (7.90).
func displayAmount(s string) string {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	if d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

// evmChainID is the EIP-155 id of the EVM chains the cashier links to.
func evmChainID(chain string) int {
	switch chain {
	case address.Ethereum:
		return 1
	case address.BSC:
		return 56
	case address.Polygon:
		return 137
	}
	return 0
}

// paymentLink is the EIP-681 token transfer link of an EVM order
// (ethereum:<token>@<chainId>/transfer?address=<wallet>&uint256=<units>);
// TRON has no such standard, so "" there.
func paymentLink(o store.Order) string {
	id := evmChainID(o.Chain)
	if id == 0 {
		return ""
	}
	return fmt.Sprintf("ethereum:%s@%d/transfer?address=%s&uint256=%s", o.TokenContract, id, o.Token, o.AmountUnits)
}

// qrDataURI renders text as a PNG QR code in a data: URI (the CSP allows
// data: images; no request leaves the page).
func qrDataURI(text string) (template.URL, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, 320)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), nil
}
