package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// phpSign signs fields like the Epusdt PHP plugins: ksort, skip empty
// values, join k=v with &, append the token, md5 in lowercase hex.
func phpSign(fields map[string]string, token string) string {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if k != "signature" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + fields[k]
	}
	sum := md5.Sum([]byte(strings.Join(parts, "&") + token))
	return hex.EncodeToString(sum[:])
}

// numeric are the fields sent as JSON numbers (their text is signed as is).
var numeric = map[string]bool{"amount": true, "timeout": true, "timestamp": true}

// body encodes signed fields as a JSON object, numbers unquoted.
func body(fields map[string]string) []byte {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		b.Write(kj)
		b.WriteByte(':')
		if numeric[k] {
			b.WriteString(fields[k])
		} else {
			vj, _ := json.Marshal(fields[k])
			b.Write(vj)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// gateway is a merchant client of one gateway.
type gateway struct {
	base, token string
	hc          *http.Client
}

func newGateway(base, token string, conns int) *gateway {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: 30 * time.Second}
	return &gateway{base: strings.TrimRight(base, "/"), token: token, hc: &http.Client{Timeout: 30 * time.Second, Transport: tr}}
}

// envelope is the Epusdt response.
type envelope struct {
	StatusCode int             `json:"status_code"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
}

// order is create-transaction's data (the parts loadgen uses).
type order struct {
	TradeID      string  `json:"trade_id"`
	ActualAmount float64 `json:"actual_amount"`
	Token        string  `json:"token"`
}

// create signs and sends one create-transaction.
func (g *gateway) create(ctx context.Context, fields map[string]string) (order, error) {
	fields["signature"] = phpSign(fields, g.token)
	var o order
	env, err := g.call(ctx, http.MethodPost, "/api/v1/order/create-transaction", body(fields))
	if err != nil {
		return o, err
	}
	return o, json.Unmarshal(env.Data, &o)
}

// status reads check-status: 1 waiting, 2 paid, 3 expired.
func (g *gateway) status(ctx context.Context, tradeID string) (int, error) {
	env, err := g.call(ctx, http.MethodGet, "/pay/check-status/"+tradeID, nil)
	if err != nil {
		return 0, err
	}
	var d struct {
		Status int `json:"status"`
	}
	return d.Status, json.Unmarshal(env.Data, &d)
}

// call sends a request and requires a success envelope.
func (g *gateway) call(ctx context.Context, method, path string, payload []byte) (envelope, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, rd)
	if err != nil {
		return envelope{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.hc.Do(req)
	if err != nil {
		return envelope{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return envelope{}, err
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return env, fmt.Errorf("%s %s: HTTP %d: %.200s", method, path, resp.StatusCode, raw)
	}
	if env.StatusCode != 200 {
		return env, fmt.Errorf("%s %s: HTTP %d, status_code %d: %s", method, path, resp.StatusCode, env.StatusCode, env.Message)
	}
	return env, nil
}
