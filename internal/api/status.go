package api

import (
	"net/http"

	"github.com/epusdt/epusdt/internal/httpx"
)

// statusData is check-status's data: the Epusdt pair (trade_id, status 1
// waiting / 2 paid / 3 expired) plus what the cashier shows.
type statusData struct {
	TradeID        string `json:"trade_id"`
	Status         int    `json:"status"`
	ExpirationTime int64  `json:"expiration_time"`
	Seen           bool   `json:"seen"`
	TxHash         string `json:"tx_hash,omitempty"`
	Confirmations  *int   `json:"confirmations,omitempty"`
	Required       *int   `json:"required_confirmations,omitempty"`
}

// checkStatus answers GET /pay/check-status/{trade_id}.
func (a *API) checkStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("trade_id")
	if id == "" || len(id) > 64 {
		httpx.Fail(w, r, codeNotFound, codeText(codeNotFound))
		return
	}
	v, err := a.pay.Status(r.Context(), id, a.progress)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	d := statusData{TradeID: v.Order.TradeID, Status: v.Status, ExpirationTime: v.Order.ExpiresAt.Unix(),
		Seen: v.Seen, TxHash: v.TxHash}
	if v.ProgressKnown {
		d.Confirmations, d.Required = &v.Confirmations, &v.Required
	}
	httpx.OK(w, r, d)
}
