package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/payment"
	"github.com/epusdt/epusdt/internal/store"
)

// orderData is the order as create-transaction returns it (Epusdt fields,
// then ours).
type orderData struct {
	TradeID        string      `json:"trade_id"`
	OrderID        string      `json:"order_id"`
	Amount         json.Number `json:"amount"`
	ActualAmount   json.Number `json:"actual_amount"`
	Token          string      `json:"token"`
	ExpirationTime int64       `json:"expiration_time"`
	PaymentURL     string      `json:"payment_url"`
	TradeType      string      `json:"trade_type"`
	Chain          string      `json:"chain"`
}

// orderDetail is what query- and cancel-transaction return.
type orderDetail struct {
	orderData
	Status             int    `json:"status"`
	BlockTransactionID string `json:"block_transaction_id"`
	Fiat               string `json:"fiat"`
	Rate               string `json:"rate"`
	CreatedAt          int64  `json:"created_at"`
	PaidAt             *int64 `json:"paid_at"`
	Late               bool   `json:"is_late"`
	Canceled           bool   `json:"canceled"`
}

func (a *API) orderData(o store.Order) orderData {
	return orderData{TradeID: o.TradeID, OrderID: o.OrderID, Amount: json.Number(o.Amount),
		ActualAmount: json.Number(o.ActualAmount), Token: o.Token, ExpirationTime: o.ExpiresAt.Unix(),
		PaymentURL: a.paymentURL(o.TradeID), TradeType: o.TradeType, Chain: o.Chain}
}

func (a *API) orderDetail(o store.Order) orderDetail {
	d := orderDetail{orderData: a.orderData(o), Status: payment.EffectiveStatus(o, a.now()),
		BlockTransactionID: o.BlockTransactionID, Fiat: o.Fiat, Rate: o.Rate, CreatedAt: o.CreatedAt.Unix(),
		Late: o.Late, Canceled: o.Canceled}
	if o.PaidAt != nil {
		s := o.PaidAt.Unix()
		d.PaidAt = &s
	}
	return d
}

func (a *API) paymentURL(tradeID string) string {
	return a.appURI + "/pay/checkout-counter/" + tradeID
}

// create answers POST /api/v1/order/create-transaction.
func (a *API) create(w http.ResponseWriter, r *http.Request) {
	m, err := a.readSigned(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	req, err := a.createRequest(r, m)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	o, err := a.pay.CreateOrder(r.Context(), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.OK(w, r, a.orderData(o))
}

// createRequest reads the typed fields of a create request and checks
// notify_url (syntax, then the optional URLCheck).
func (a *API) createRequest(r *http.Request, m map[string]any) (payment.CreateRequest, error) {
	f := &fields{m: m}
	req := payment.CreateRequest{OrderID: f.str("order_id"), NotifyURL: f.str("notify_url"),
		RedirectURL: f.str("redirect_url"), TradeType: f.str("trade_type"), Fiat: f.str("fiat")}
	var err error
	if req.Amount, req.AmountText, err = f.amount(); err != nil {
		return req, err
	}
	secs, err := f.seconds("timeout")
	if err != nil {
		return req, err
	}
	req.Timeout = time.Duration(secs) * time.Second
	if err := payment.CheckURL("notify_url", req.NotifyURL, true); err != nil {
		return req, err
	}
	if a.urlCheck != nil {
		if err := a.urlCheck(r.Context(), req.NotifyURL); err != nil {
			return req, errField("notify_url", err.Error())
		}
	}
	return req, nil
}

// query answers POST /api/v1/order/query-transaction (trade_id or order_id).
func (a *API) query(w http.ResponseWriter, r *http.Request) {
	m, err := a.readSigned(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f := &fields{m: m}
	tradeID, orderID := f.str("trade_id"), f.str("order_id")
	if f.err != nil {
		a.fail(w, r, f.err)
		return
	}
	o, err := a.pay.QueryOrder(r.Context(), tradeID, orderID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.OK(w, r, a.orderDetail(o))
}

// cancel answers POST /api/v1/order/cancel-transaction.
func (a *API) cancel(w http.ResponseWriter, r *http.Request) {
	m, err := a.readSigned(w, r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	f := &fields{m: m}
	tradeID := f.str("trade_id")
	switch {
	case f.err != nil:
		err = f.err
	case tradeID == "":
		err = errField("trade_id", "is required")
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	o, err := a.pay.CancelOrder(r.Context(), tradeID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	httpx.OK(w, r, a.orderDetail(o))
}
