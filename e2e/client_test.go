package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// phpSign signs params the way the Epusdt PHP plugins do: ksort, skip
// empty values, join k=v with &, append the token, md5.
func phpSign(params map[string]string, token string) string {
	keys := make([]string, 0, len(params))
	for k, v := range params {
		if k != "signature" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + params[k]
	}
	sum := md5.Sum([]byte(strings.Join(parts, "&") + token))
	return hex.EncodeToString(sum[:])
}

// envelope is the Epusdt response.
type envelope struct {
	StatusCode int             `json:"status_code"`
	Message    string          `json:"message"`
	Data       json.RawMessage `json:"data"`
	RequestID  string          `json:"request_id"`
}

// orderData is create-transaction's data.
type orderData struct {
	TradeID        string  `json:"trade_id"`
	OrderID        string  `json:"order_id"`
	Amount         float64 `json:"amount"`
	ActualAmount   float64 `json:"actual_amount"`
	Token          string  `json:"token"`
	ExpirationTime int64   `json:"expiration_time"`
	PaymentURL     string  `json:"payment_url"`
	TradeType      string  `json:"trade_type"`
	Chain          string  `json:"chain"`
}

// shop is a merchant client speaking the Epusdt API like a PHP plugin:
// values are sent as JSON with amount as a number, signed over their text.
type shop struct {
	base, token string
	hc          *http.Client
}

// post sends fields (amount given as its decimal text, sent as a JSON number).
func (s *shop) post(t testing.TB, path string, fields map[string]string) (envelope, error) {
	t.Helper()
	fields["signature"] = phpSign(fields, s.token)
	var b bytes.Buffer
	b.WriteString("{")
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		kj, _ := json.Marshal(k)
		b.Write(kj)
		b.WriteString(":")
		if k == "amount" || k == "timeout" || k == "timestamp" {
			b.WriteString(fields[k])
		} else {
			vj, _ := json.Marshal(fields[k])
			b.Write(vj)
		}
	}
	b.WriteString("}")
	resp, err := s.hc.Post(s.base+path, "application/json", &b)
	if err != nil {
		return envelope{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return envelope{}, fmt.Errorf("HTTP %d, body %q: %w", resp.StatusCode, raw, err)
	}
	if resp.StatusCode >= 500 {
		return env, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	return env, nil
}

// create makes an order and fails the test unless it succeeds.
func (s *shop) create(t testing.TB, orderID, amount, notifyURL, tradeType string) orderData {
	t.Helper()
	env, err := s.post(t, "/api/v1/order/create-transaction", map[string]string{
		"order_id": orderID, "amount": amount, "notify_url": notifyURL, "redirect_url": "http://shop.example/return",
		"trade_type": tradeType,
	})
	if err != nil {
		t.Fatalf("create %s: %v", orderID, err)
	}
	if env.StatusCode != 200 || env.Message != "success" {
		t.Fatalf("create %s: %d %s", orderID, env.StatusCode, env.Message)
	}
	var d orderData
	if err := json.Unmarshal(env.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// status polls check-status once.
func (s *shop) status(t testing.TB, tradeID string) int {
	t.Helper()
	resp, err := s.hc.Get(s.base + "/pay/check-status/" + tradeID)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.StatusCode != 200 {
		return -1
	}
	var d struct {
		Status int `json:"status"`
	}
	_ = json.Unmarshal(env.Data, &d)
	return d.Status
}

func TestPHPSignVector(t *testing.T) {
	got := phpSign(map[string]string{"amount": "42", "notify_url": "http://example.com/notify",
		"order_id": "20220201030210321", "redirect_url": "http://example.com/redirect"}, "epusdt_password_xasddawqe")
	if got != "1cd4b52df5587cfb1968b0c0c6e156cd" {
		t.Fatalf("php-style signer gives %s", got)
	}
}
