package admin

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
)

// MarkPaidRequest is the body of POST …/orders/{trade_id}/mark-paid.
// LogIndex picks one transfer when the transaction has several.
type MarkPaidRequest struct {
	TxHash   string `json:"tx_hash"`
	LogIndex *uint  `json:"log_index"`
}

// normalizeTx checks a transaction hash and writes it the way the watcher
// stores it: 64 lower-case hex digits, with 0x on EVM chains and without
// on TRON.
func normalizeTx(chain, tx string) (string, error) {
	h := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(tx)), "0x")
	if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
		return "", errf(http.StatusBadRequest, "tx_hash: %q is not a transaction hash (64 hex digits)", tx)
	}
	if chain == address.Tron {
		return h, nil
	}
	return "0x" + h, nil
}

// refuse is a mark-paid refusal with its reason.
func refuse(format string, args ...any) error {
	return errf(http.StatusUnprocessableEntity, "refused: "+format, args...)
}

// verifyPayment reads txHash from the chain and returns the transfer in it
// that may pay o: the order's token contract, wallet and exact amount,
// settled, mined after the order was created, and not used by another
// order. The refusal names what is wrong.
func (a *Admin) verifyPayment(ctx context.Context, o store.Order, txHash string, logIndex *uint) (store.Transfer, error) {
	if o.Status == store.OrderPaid {
		return store.Transfer{}, errf(http.StatusConflict, "order %s is already paid (tx %s)", o.TradeID, o.BlockTransactionID)
	}
	if a.d.Verifier == nil {
		return store.Transfer{}, errf(http.StatusServiceUnavailable, "on-chain verification is not available")
	}
	tx, err := normalizeTx(o.Chain, txHash)
	if err != nil {
		return store.Transfer{}, err
	}
	logs, err := a.d.Verifier.Verify(ctx, o.Chain, tx)
	if errors.Is(err, ErrTxNotFound) {
		return store.Transfer{}, refuse("transaction %s was not found on %s (wrong hash, wrong chain, or it failed)", tx, o.Chain)
	}
	if err != nil {
		a.log.Warn("verify transaction failed", zap.String("chain", o.Chain), zap.String("tx", tx), zap.Error(err))
		return store.Transfer{}, errf(http.StatusBadGateway, "could not read transaction %s from the %s RPC; try again later", tx, o.Chain)
	}
	var reasons []string
	for _, t := range logs {
		if logIndex != nil && t.LogIndex != *logIndex {
			continue
		}
		reason, err := a.unfit(ctx, o, t)
		if err != nil {
			return store.Transfer{}, err
		}
		if reason == "" {
			return t, nil
		}
		reasons = append(reasons, fmt.Sprintf("transfer #%d %s", t.LogIndex, reason))
	}
	if len(reasons) == 0 {
		if logIndex != nil {
			return store.Transfer{}, refuse("transaction %s has no USDT transfer at log index %d", tx, *logIndex)
		}
		return store.Transfer{}, refuse("transaction %s has no USDT transfer", tx)
	}
	return store.Transfer{}, refuse("%s", strings.Join(reasons, "; "))
}

// unfit says why transfer t cannot pay o ("" when it can).
func (a *Admin) unfit(ctx context.Context, o store.Order, t store.Transfer) (string, error) {
	units := "0"
	if t.AmountUnits != nil {
		units = t.AmountUnits.String()
	}
	switch {
	case t.Chain != o.Chain || t.TokenContract != o.TokenContract:
		return fmt.Sprintf("is a transfer of token %s, not the order's USDT contract %s", t.TokenContract, o.TokenContract), nil
	case t.To != o.Token:
		return fmt.Sprintf("pays wallet %s, not the order's wallet %s", t.To, o.Token), nil
	case units != o.AmountUnits:
		return fmt.Sprintf("is %s USDT, the order expects exactly %s USDT", unitsAmount(t.AmountUnits, t.Decimals), o.ActualAmount), nil
	case t.State != store.TransferSettled:
		return fmt.Sprintf("is not settled yet (block %d); wait until the chain settles it", t.BlockNumber), nil
	case t.BlockTime.Before(o.CreatedAt.Add(-a.cfg.Orders.MatchTimeSkew)):
		return fmt.Sprintf("was mined at %s, before the order was created (%s)", t.BlockTime.UTC().Format(time.RFC3339),
			o.CreatedAt.UTC().Format(time.RFC3339)), nil
	}
	return a.usedBy(ctx, o, t)
}

// usedBy reports (as a reason) another order that t already paid.
func (a *Admin) usedBy(ctx context.Context, o store.Order, t store.Transfer) (string, error) {
	stored, err := a.st.TransferByLog(ctx, t.Chain, t.TxHash, t.LogIndex)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if err == nil && stored.TradeID != "" && stored.TradeID != o.TradeID &&
		(stored.MatchStatus == store.MatchPaid || stored.MatchStatus == store.MatchLate) {
		return "was already used: it paid trade " + stored.TradeID, nil
	}
	paid, err := a.st.OrdersWithTx(ctx, t.TxHash)
	if err != nil {
		return "", err
	}
	for _, p := range paid {
		if p.TradeID == o.TradeID || p.Status != store.OrderPaid {
			continue
		}
		ts, err := a.st.TransfersOfTrade(ctx, p.TradeID)
		if err != nil {
			return "", err
		}
		other := false
		for _, pt := range ts {
			other = other || (pt.TxHash == t.TxHash && pt.LogIndex != t.LogIndex)
		}
		if !other {
			return "was already used: it paid trade " + p.TradeID, nil
		}
	}
	return "", nil
}

// applyPayment verifies and pays o with the transfer, then audits it.
func (a *Admin) applyPayment(ctx context.Context, s *session, o store.Order, txHash string, logIndex *uint, action string) (store.Transfer, error) {
	t, err := a.verifyPayment(ctx, o, txHash, logIndex)
	if err != nil {
		a.audit(ctx, s, action+"_refused", o.TradeID, map[string]any{"tx_hash": txHash, "reason": err.Error()})
		return store.Transfer{}, err
	}
	if stored, err := a.st.TransferByLog(ctx, t.Chain, t.TxHash, t.LogIndex); err == nil {
		t.ID = stored.ID
	}
	if a.d.Orders == nil {
		return store.Transfer{}, errf(http.StatusServiceUnavailable, "order actions are not available")
	}
	if err := a.d.Orders.MarkPaid(ctx, o.TradeID, t); err != nil {
		return store.Transfer{}, err
	}
	a.audit(ctx, s, action, o.TradeID, map[string]any{"tx_hash": t.TxHash, "log_index": t.LogIndex,
		"amount": unitsAmount(t.AmountUnits, t.Decimals), "wallet": t.To})
	return t, nil
}

func (a *Admin) getOrder(ctx context.Context, tradeID string) (store.Order, error) {
	o, err := a.st.GetOrder(ctx, tradeID)
	if errors.Is(err, store.ErrNotFound) {
		return o, errf(http.StatusNotFound, "order %s not found", tradeID)
	}
	return o, err
}

func (a *Admin) markPaid(ctx context.Context, s *session, tradeID string, req MarkPaidRequest) error {
	o, err := a.getOrder(ctx, tradeID)
	if err != nil {
		return err
	}
	_, err = a.applyPayment(ctx, s, o, req.TxHash, req.LogIndex, "order.mark_paid")
	return err
}

// attribute pays an order with a stored transfer, verified on chain again.
func (a *Admin) attribute(ctx context.Context, s *session, transferID int64, tradeID string) error {
	t, err := a.st.GetTransfer(ctx, transferID)
	if errors.Is(err, store.ErrNotFound) {
		return errf(http.StatusNotFound, "transfer %d not found", transferID)
	}
	if err != nil {
		return err
	}
	o, err := a.getOrder(ctx, strings.TrimSpace(tradeID))
	if err != nil {
		return err
	}
	li := t.LogIndex
	_, err = a.applyPayment(ctx, s, o, t.TxHash, &li, "transfer.attribute")
	return err
}

func (a *Admin) handleMarkPaid(w http.ResponseWriter, r *http.Request, s *session) error {
	var req MarkPaidRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("trade_id")
	if err := a.markPaid(r.Context(), s, id, req); err != nil {
		return err
	}
	d, err := a.orderDetail(r.Context(), id)
	if err != nil {
		return err
	}
	httpx.OK(w, r, d)
	return nil
}

func (a *Admin) handleAttribute(w http.ResponseWriter, r *http.Request, s *session) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req struct {
		TradeID string `json:"trade_id"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := a.attribute(r.Context(), s, id, req.TradeID); err != nil {
		return err
	}
	t, err := a.st.GetTransfer(r.Context(), id)
	if err != nil {
		return err
	}
	httpx.OK(w, r, viewTransfer(t))
	return nil
}
