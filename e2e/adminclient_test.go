package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// adminClient reads the gateway's records through the admin JSON API, as
// an operator's tools would.
type adminClient struct {
	base, access string
	hc           *http.Client
}

// admin logs in with the fixed e2e credentials.
func (g *gateway) admin(t testing.TB) *adminClient {
	t.Helper()
	a := &adminClient{base: g.base() + "/admin/api/v1/", hc: &http.Client{Timeout: 15 * time.Second}}
	var pair struct {
		AccessToken string `json:"access_token"`
	}
	if err := a.do("POST", "auth/login", map[string]string{"username": adminUser, "password": adminPassword}, &pair); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	a.access = pair.AccessToken
	return a
}

// do sends one request and decodes the envelope's data into out.
func (a *adminClient) do(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.access != "" {
		req.Header.Set("Authorization", "Bearer "+a.access)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s %s: HTTP %d %q: %w", method, path, resp.StatusCode, raw, err)
	}
	if env.StatusCode != 200 {
		return fmt.Errorf("%s %s: HTTP %d, status_code %d: %s", method, path, resp.StatusCode, env.StatusCode, env.Message)
	}
	return json.Unmarshal(env.Data, out)
}

// adminTransfer is a stored transfer as the admin API lists it.
type adminTransfer struct {
	Chain       string `json:"chain"`
	TxHash      string `json:"tx_hash"`
	To          string `json:"to"`
	Amount      string `json:"amount"`
	AmountUnits string `json:"amount_units"`
	State       string `json:"state"`
	MatchStatus string `json:"match_status"`
	TradeID     string `json:"trade_id"`
	Note        string `json:"note"`
	Attention   bool   `json:"attention"`
}

// transfers lists the stored transfers of a transaction.
func (a *adminClient) transfers(t testing.TB, txHash string) []adminTransfer {
	t.Helper()
	var l struct {
		Transfers []adminTransfer `json:"transfers"`
	}
	if err := a.do("GET", "transfers?q="+url.QueryEscape(txHash), nil, &l); err != nil {
		t.Fatalf("list transfers: %v", err)
	}
	return l.Transfers
}

// adminOrder is the part of the admin order detail the scenarios check.
type adminOrder struct {
	Order struct {
		Status             int    `json:"status"`
		BlockTransactionID string `json:"block_transaction_id"`
		Late               bool   `json:"late"`
	} `json:"order"`
	Transfers []adminTransfer `json:"transfers"`
	Callbacks []struct {
		Kind   string `json:"kind"`
		Status string `json:"status"`
	} `json:"callbacks"`
}

// order reads one order's detail.
func (a *adminClient) order(t testing.TB, tradeID string) adminOrder {
	t.Helper()
	var d adminOrder
	if err := a.do("GET", "orders/"+url.PathEscape(tradeID), nil, &d); err != nil {
		t.Fatalf("order %s: %v", tradeID, err)
	}
	return d
}
