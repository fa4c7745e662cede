package admin

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
)

// OrderList is one page of orders.
type OrderList struct {
	Orders []OrderView `json:"orders"`
	Page
}

func (a *Admin) listOrders(ctx context.Context, f store.OrderFilter, p Page) (OrderList, error) {
	os, total, err := a.st.Read().SearchOrders(ctx, f)
	if err != nil {
		return OrderList{}, err
	}
	out := OrderList{Orders: make([]OrderView, 0, len(os)), Page: p}
	out.Total = total
	for _, o := range os {
		out.Orders = append(out.Orders, viewOrder(o))
	}
	return out, nil
}

func (a *Admin) handleOrders(w http.ResponseWriter, r *http.Request, s *session) error {
	f, p, err := orderFilter(r.URL.Query())
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") == "csv" {
		return a.writeOrdersCSV(w, r, s, f)
	}
	l, err := a.listOrders(r.Context(), f, p)
	if err != nil {
		return err
	}
	httpx.OK(w, r, l)
	return nil
}

// csvCell defuses spreadsheet formulas in merchant-supplied text.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// csvExportMax bounds one CSV export.
const csvExportMax = 50_000

func (a *Admin) writeOrdersCSV(w http.ResponseWriter, r *http.Request, s *session, f store.OrderFilter) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="orders-`+a.now().UTC().Format("20060102-150405")+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"trade_id", "order_id", "status", "chain", "fiat", "amount", "rate", "actual_amount", "wallet",
		"block_transaction_id", "created_at", "paid_at", "expires_at", "late", "canceled", "callback_num", "callback_confirm"})
	f.Limit, f.Offset = 1000, 0
	n := 0
	for n < csvExportMax {
		os, _, err := a.st.Read().SearchOrders(r.Context(), f)
		if err != nil {
			return err
		}
		for _, o := range os {
			paid := ""
			if o.PaidAt != nil {
				paid = o.PaidAt.Format(time.RFC3339)
			}
			_ = cw.Write([]string{o.TradeID, csvCell(o.OrderID), StatusName(o.Status), o.Chain, o.Fiat, o.Amount, o.Rate,
				o.ActualAmount, o.Token, o.BlockTransactionID, o.CreatedAt.Format(time.RFC3339), paid,
				o.ExpiresAt.Format(time.RFC3339), strconv.FormatBool(o.Late), strconv.FormatBool(o.Canceled),
				strconv.Itoa(o.CallbackNum), strconv.Itoa(o.CallbackConfirm)})
		}
		n += len(os)
		if len(os) < f.Limit {
			break
		}
		f.Offset += f.Limit
	}
	cw.Flush()
	a.audit(r.Context(), s, "order.export_csv", "", map[string]any{"rows": n})
	return cw.Error()
}

// Event is one step of an order's timeline.
type Event struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // created, detected, settled, paid, expired, canceled, callback
	Detail string    `json:"detail"`
	OK     bool      `json:"ok"`
}

// OrderDetail is an order with its timeline, transfers and callbacks.
type OrderDetail struct {
	Order      OrderView      `json:"order"`
	Timeline   []Event        `json:"timeline"`
	Transfers  []TransferView `json:"transfers"`
	Callbacks  []JobView      `json:"callbacks"`
	Deliveries []DeliveryView `json:"deliveries"`
}

func (a *Admin) orderDetail(ctx context.Context, tradeID string) (OrderDetail, error) {
	r := a.st.Read()
	o, err := r.GetOrder(ctx, tradeID)
	if errors.Is(err, store.ErrNotFound) {
		return OrderDetail{}, errf(http.StatusNotFound, "order %s not found", tradeID)
	}
	if err != nil {
		return OrderDetail{}, err
	}
	ts, err := r.TransfersOfTrade(ctx, tradeID)
	if err != nil {
		return OrderDetail{}, err
	}
	jobs, err := r.CallbackJobsForTrade(ctx, tradeID)
	if err != nil {
		return OrderDetail{}, err
	}
	ds, err := r.ListCallbackDeliveries(ctx, tradeID)
	if err != nil {
		return OrderDetail{}, err
	}
	d := OrderDetail{Order: viewOrder(o), Transfers: []TransferView{}, Callbacks: []JobView{}, Deliveries: []DeliveryView{}}
	for _, t := range ts {
		d.Transfers = append(d.Transfers, viewTransfer(t))
	}
	for _, j := range jobs {
		d.Callbacks = append(d.Callbacks, viewJob(j))
	}
	for _, x := range ds {
		d.Deliveries = append(d.Deliveries, viewDelivery(x))
	}
	d.Timeline = timeline(o, ts, ds)
	return d, nil
}

// timeline orders what happened to an order by time.
func timeline(o store.Order, ts []store.Transfer, ds []store.CallbackDelivery) []Event {
	ev := []Event{{At: o.CreatedAt, Kind: "created", Detail: o.ActualAmount + " USDT to " + o.Token, OK: true}}
	for _, t := range ts {
		amt := unitsAmount(t.AmountUnits, t.Decimals)
		ev = append(ev, Event{At: t.CreatedAt, Kind: "detected", Detail: amt + " USDT in tx " + t.TxHash, OK: true})
		if t.State == store.TransferSettled {
			ev = append(ev, Event{At: t.UpdatedAt, Kind: "settled", Detail: "block " + strconv.FormatUint(t.BlockNumber, 10) + " " + t.Note, OK: true})
		}
	}
	switch {
	case o.PaidAt != nil:
		det := "tx " + o.BlockTransactionID
		if o.Late {
			det += " (late)"
		}
		ev = append(ev, Event{At: *o.PaidAt, Kind: "paid", Detail: det, OK: true})
	case o.Status == store.OrderExpired && o.Canceled:
		ev = append(ev, Event{At: o.ExpiresAt, Kind: "canceled"})
	case o.Status == store.OrderExpired:
		ev = append(ev, Event{At: o.ExpiresAt, Kind: "expired"})
	}
	for _, d := range ds {
		det := "attempt " + strconv.Itoa(d.Attempt) + ": HTTP " + strconv.Itoa(d.HTTPStatus)
		if d.Error != "" {
			det += " — " + d.Error
		} else {
			det += " — " + strings.TrimSpace(d.ResponseBody)
		}
		ev = append(ev, Event{At: d.CreatedAt, Kind: "callback", Detail: det, OK: d.Error == ""})
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].At.Before(ev[j].At) })
	return ev
}

func (a *Admin) handleOrder(w http.ResponseWriter, r *http.Request, _ *session) error {
	d, err := a.orderDetail(r.Context(), r.PathValue("trade_id"))
	if err != nil {
		return err
	}
	httpx.OK(w, r, d)
	return nil
}

// resend makes an order's callback due again.
func (a *Admin) resend(ctx context.Context, s *session, tradeID string) error {
	jobs, err := a.st.CallbackJobsForTrade(ctx, tradeID)
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		if _, err := a.st.GetOrder(ctx, tradeID); errors.Is(err, store.ErrNotFound) {
			return errf(http.StatusNotFound, "order %s not found", tradeID)
		}
		return errf(http.StatusConflict, "order %s has no callback to resend (callbacks are sent once an order is paid)", tradeID)
	}
	if a.d.Callbacks == nil {
		return errf(http.StatusServiceUnavailable, "callback resending is not available")
	}
	if err := a.d.Callbacks.Resend(ctx, tradeID); err != nil {
		return err
	}
	a.audit(ctx, s, "order.resend_callback", tradeID, nil)
	return nil
}

// cancel cancels a waiting order.
func (a *Admin) cancel(ctx context.Context, s *session, tradeID string) error {
	o, err := a.st.GetOrder(ctx, tradeID)
	if errors.Is(err, store.ErrNotFound) {
		return errf(http.StatusNotFound, "order %s not found", tradeID)
	}
	if err != nil {
		return err
	}
	if o.Status != store.OrderWaiting {
		return errf(http.StatusConflict, "only a waiting order can be canceled; this one is %s", StatusName(o.Status))
	}
	if a.d.Orders == nil {
		return errf(http.StatusServiceUnavailable, "order actions are not available")
	}
	if err := a.d.Orders.Cancel(ctx, tradeID); err != nil {
		return err
	}
	a.audit(ctx, s, "order.cancel", tradeID, map[string]any{"order_id": o.OrderID})
	return nil
}

func (a *Admin) handleOrderAction(action string) func(http.ResponseWriter, *http.Request, *session) error {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		id := r.PathValue("trade_id")
		var err error
		switch action {
		case "resend":
			err = a.resend(r.Context(), s, id)
		case "cancel":
			err = a.cancel(r.Context(), s, id)
		}
		if err != nil {
			return err
		}
		d, err := a.orderDetail(r.Context(), id)
		if err != nil {
			return err
		}
		httpx.OK(w, r, d)
		return nil
	}
}
