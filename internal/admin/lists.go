package admin

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
)

// TransferList is one page of stored transfers.
type TransferList struct {
	Transfers []TransferView `json:"transfers"`
	Page
}

func (a *Admin) listTransfers(ctx context.Context, q url.Values) (TransferList, error) {
	f, p, err := transferFilter(q)
	if err != nil {
		return TransferList{}, err
	}
	ts, total, err := a.st.Read().SearchTransfers(ctx, f)
	if err != nil {
		return TransferList{}, err
	}
	out := TransferList{Transfers: make([]TransferView, 0, len(ts)), Page: p}
	out.Total = total
	for _, t := range ts {
		out.Transfers = append(out.Transfers, viewTransfer(t))
	}
	return out, nil
}

func (a *Admin) handleTransfers(w http.ResponseWriter, r *http.Request, _ *session) error {
	l, err := a.listTransfers(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	httpx.OK(w, r, l)
	return nil
}

// CallbackList is callback jobs and the recent delivery log.
type CallbackList struct {
	Jobs       []JobView      `json:"jobs"`
	Deliveries []DeliveryView `json:"deliveries"`
}

func (a *Admin) listCallbacks(ctx context.Context, q url.Values) (CallbackList, error) {
	st := q.Get("status")
	switch st {
	case "", store.CallbackPending, store.CallbackFailed, store.CallbackDelivered:
	default:
		return CallbackList{}, errf(http.StatusBadRequest, "status: want pending, failed or delivered")
	}
	r := a.st.Read()
	jobs, err := r.ListCallbackJobs(ctx, store.CallbackJobFilter{Status: st, Limit: 200})
	if err != nil {
		return CallbackList{}, err
	}
	ds, err := r.ListDeliveries(ctx, store.DeliveryFilter{FailedOnly: q.Get("failed") == "1", Limit: 200})
	if err != nil {
		return CallbackList{}, err
	}
	out := CallbackList{Jobs: []JobView{}, Deliveries: []DeliveryView{}}
	for _, j := range jobs {
		out.Jobs = append(out.Jobs, viewJob(j))
	}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, viewDelivery(d))
	}
	return out, nil
}

func (a *Admin) handleCallbacks(w http.ResponseWriter, r *http.Request, _ *session) error {
	l, err := a.listCallbacks(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	httpx.OK(w, r, l)
	return nil
}

// BulkResendRequest names the orders whose callbacks to resend, or a job
// status ("failed") to resend every such callback.
type BulkResendRequest struct {
	TradeIDs []string `json:"trade_ids"`
	Status   string   `json:"status"`
}

// bulkResendMax bounds one bulk resend.
const bulkResendMax = 500

// BulkResendResult says what a bulk resend did per order.
type BulkResendResult struct {
	Resent []string          `json:"resent"`
	Failed map[string]string `json:"failed"`
}

func (a *Admin) bulkResend(ctx context.Context, s *session, req BulkResendRequest) (BulkResendResult, error) {
	ids := req.TradeIDs
	if req.Status != "" {
		if req.Status != store.CallbackFailed && req.Status != store.CallbackPending {
			return BulkResendResult{}, errf(http.StatusBadRequest, "status: want failed or pending")
		}
		jobs, err := a.st.ListCallbackJobs(ctx, store.CallbackJobFilter{Status: req.Status, Limit: bulkResendMax})
		if err != nil {
			return BulkResendResult{}, err
		}
		for _, j := range jobs {
			ids = append(ids, j.TradeID)
		}
	}
	if len(ids) == 0 || len(ids) > bulkResendMax {
		return BulkResendResult{}, errf(http.StatusBadRequest, "trade_ids: give 1 to %d orders (or status)", bulkResendMax)
	}
	res := BulkResendResult{Resent: []string{}, Failed: map[string]string{}}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if err := a.resend(ctx, s, id); err != nil {
			_, msg := a.statusOf(&http.Request{URL: &url.URL{}}, err)
			res.Failed[id] = msg
			continue
		}
		res.Resent = append(res.Resent, id)
	}
	return res, nil
}

func (a *Admin) handleBulkResend(w http.ResponseWriter, r *http.Request, s *session) error {
	var req BulkResendRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	res, err := a.bulkResend(r.Context(), s, req)
	if err != nil {
		return err
	}
	httpx.OK(w, r, res)
	return nil
}

// AuditView is one audit log entry.
type AuditView struct {
	ID     int64  `json:"id"`
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Kind   string `json:"actor_kind"`
	Action string `json:"action"`
	Target string `json:"target"`
	Detail string `json:"detail"`
	IP     string `json:"ip"`
}

func (a *Admin) listAudit(ctx context.Context, q url.Values) ([]AuditView, Page, error) {
	p, err := pageParams(q)
	if err != nil {
		return nil, p, err
	}
	f := store.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Limit: p.PerPage, Offset: p.offset()}
	if f.Since, err = parseDay("from", q.Get("from"), false); err != nil {
		return nil, p, err
	}
	if f.Until, err = parseDay("to", q.Get("to"), true); err != nil {
		return nil, p, err
	}
	es, err := a.st.Read().ListAudit(ctx, f)
	if err != nil {
		return nil, p, err
	}
	out := make([]AuditView, 0, len(es))
	for _, e := range es {
		out = append(out, AuditView{ID: e.ID, At: e.CreatedAt.Format("2006-01-02 15:04:05Z"), Actor: e.Actor, Kind: e.ActorKind,
			Action: e.Action, Target: e.Target, Detail: e.Detail, IP: e.IP})
	}
	return out, p, nil
}

func (a *Admin) handleAudit(w http.ResponseWriter, r *http.Request, _ *session) error {
	es, p, err := a.listAudit(r.Context(), r.URL.Query())
	if err != nil {
		return err
	}
	httpx.OK(w, r, map[string]any{"entries": es, "page": p.Page, "per_page": p.PerPage})
	return nil
}

// Settings is the effective configuration, secrets masked.
type Settings struct {
	Effective      []string `json:"effective"`
	APITokenSource string   `json:"api_auth_token_source"` // config, or rotated (settings table)
	AuditEnabled   bool     `json:"audit_log_enabled"`
}

func (a *Admin) settings() Settings {
	s := Settings{Effective: a.cfg.Effective(), APITokenSource: "config", AuditEnabled: a.d.Audit.Enabled()}
	if a.d.Tokens != nil && a.d.Tokens.Rotated() {
		s.APITokenSource = "rotated"
		for i, l := range s.Effective {
			if strings.HasPrefix(l, "api_auth_token=") {
				s.Effective[i] = "api_auth_token=" + config.Mask(a.d.Tokens.Current()) + " (rotated)"
			}
		}
	}
	return s
}

func (a *Admin) handleSettings(w http.ResponseWriter, r *http.Request, _ *session) error {
	httpx.OK(w, r, a.settings())
	return nil
}

// rotateToken makes a new merchant API token and returns it once.
func (a *Admin) rotateToken(ctx context.Context, s *session) (string, error) {
	if a.d.Tokens == nil {
		return "", errf(http.StatusServiceUnavailable, "API token rotation is not available")
	}
	tok, err := a.d.Tokens.Rotate(ctx)
	if err != nil {
		return "", err
	}
	a.audit(ctx, s, "settings.rotate_api_token", "api_auth_token", map[string]any{"api_auth_token": tok})
	return tok, nil
}

func (a *Admin) handleRotateToken(w http.ResponseWriter, r *http.Request, s *session) error {
	tok, err := a.rotateToken(r.Context(), s)
	if err != nil {
		return err
	}
	httpx.OK(w, r, map[string]any{"api_auth_token": tok,
		"note": "shown once: update every merchant integration; callbacks are signed with it from now on"})
	return nil
}
