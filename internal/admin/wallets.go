package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
)

// walletKey identifies a wallet's receipts.
type walletKey struct{ chain, addr string }

type received struct {
	sum decimal.Decimal
	n   int
}

// listWallets returns every wallet (removed ones too) with its received
// totals (settled transfers of the chain's USDT contract).
func (a *Admin) listWallets(ctx context.Context) ([]WalletView, error) {
	r := a.st.Read()
	ws, err := r.ListWallets(ctx, "", true)
	if err != nil {
		return nil, err
	}
	rs, err := r.SettledReceipts(ctx)
	if err != nil {
		return nil, err
	}
	totals := map[walletKey]*received{}
	for _, x := range rs {
		u, err := decimal.NewFromString(x.AmountUnits)
		if err != nil {
			continue
		}
		k := walletKey{x.Chain, x.To}
		if totals[k] == nil {
			totals[k] = &received{}
		}
		totals[k].sum = totals[k].sum.Add(u.Shift(int32(-x.Decimals)))
		totals[k].n++
	}
	out := make([]WalletView, 0, len(ws))
	for _, w := range ws {
		v := WalletView{ID: w.ID, Chain: w.Chain, Address: w.Address, Label: w.Label, Status: walletStatus(w),
			Received: "0", CreatedAt: w.CreatedAt, DeletedAt: w.DeletedAt}
		if t := totals[walletKey{w.Chain, w.Address}]; t != nil {
			v.Received, v.Transfers = t.sum.String(), t.n
		}
		out = append(out, v)
	}
	return out, nil
}

func (a *Admin) handleWallets(w http.ResponseWriter, r *http.Request, _ *session) error {
	ws, err := a.listWallets(r.Context())
	if err != nil {
		return err
	}
	httpx.OK(w, r, map[string]any{"wallets": ws})
	return nil
}

// WalletRequest is the body of POST /admin/api/v1/wallets and …/label.
type WalletRequest struct {
	Chain   string `json:"chain"`
	Address string `json:"address"`
	Label   string `json:"label"`
}

func cleanLabel(l string) (string, error) {
	l = strings.TrimSpace(l)
	if len(l) > 128 {
		return "", errf(http.StatusBadRequest, "label: at most 128 bytes")
	}
	return l, nil
}

// addWallet validates the address for its chain and stores it.
func (a *Admin) addWallet(ctx context.Context, s *session, req WalletRequest) (store.Wallet, error) {
	if !address.IsChain(req.Chain) {
		return store.Wallet{}, errf(http.StatusBadRequest, "chain: want one of %s", strings.Join(address.Chains(), ", "))
	}
	addr, err := address.Normalize(req.Chain, strings.TrimSpace(req.Address))
	if err != nil {
		return store.Wallet{}, errf(http.StatusBadRequest, "address: not a valid %s address: %v", req.Chain, err)
	}
	label, err := cleanLabel(req.Label)
	if err != nil {
		return store.Wallet{}, err
	}
	wl, err := a.st.AddWallet(ctx, req.Chain, addr, label, a.now())
	if errors.Is(err, store.ErrDuplicate) {
		return store.Wallet{}, errf(http.StatusConflict, "wallet %s is already on %s", addr, req.Chain)
	}
	if err != nil {
		return store.Wallet{}, err
	}
	a.audit(ctx, s, "wallet.add", req.Chain+":"+addr, map[string]any{"label": label})
	return wl, nil
}

func (a *Admin) handleAddWallet(w http.ResponseWriter, r *http.Request, s *session) error {
	var req WalletRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	wl, err := a.addWallet(r.Context(), s, req)
	if err != nil {
		return err
	}
	httpx.OK(w, r, WalletView{ID: wl.ID, Chain: wl.Chain, Address: wl.Address, Label: wl.Label, Status: walletStatus(wl),
		Received: "0", CreatedAt: wl.CreatedAt})
	return nil
}

// changeWallet applies enable, disable, label or remove to a live wallet.
func (a *Admin) changeWallet(ctx context.Context, s *session, id int64, action, label string) error {
	wl, err := a.st.GetWalletByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && wl.DeletedAt != nil) {
		return errf(http.StatusNotFound, "wallet %d not found", id)
	}
	if err != nil {
		return err
	}
	now := a.now()
	detail := map[string]any{"before": walletStatus(wl)}
	switch action {
	case "enable":
		err = a.st.SetWalletStatus(ctx, wl.Chain, wl.Address, store.WalletEnabled, now)
	case "disable":
		err = a.st.SetWalletStatus(ctx, wl.Chain, wl.Address, store.WalletDisabled, now)
	case "remove":
		err = a.st.RemoveWallet(ctx, wl.Chain, wl.Address, now)
	case "label":
		if label, err = cleanLabel(label); err != nil {
			return err
		}
		detail = map[string]any{"label_before": wl.Label, "label": label}
		err = a.st.SetWalletLabel(ctx, wl.Chain, wl.Address, label, now)
	}
	if err != nil {
		return err
	}
	a.audit(ctx, s, "wallet."+action, wl.Chain+":"+wl.Address, detail)
	return nil
}

func (a *Admin) handleWalletAction(action string) func(http.ResponseWriter, *http.Request, *session) error {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		var req WalletRequest
		if action == "label" {
			if err := decodeJSON(r, &req); err != nil {
				return err
			}
		}
		if err := a.changeWallet(r.Context(), s, id, action, req.Label); err != nil {
			return err
		}
		wl, err := a.st.GetWalletByID(r.Context(), id)
		if err != nil {
			return err
		}
		httpx.OK(w, r, WalletView{ID: wl.ID, Chain: wl.Chain, Address: wl.Address, Label: wl.Label,
			Status: walletStatus(wl), CreatedAt: wl.CreatedAt, DeletedAt: wl.DeletedAt})
		return nil
	}
}
