package notify

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/store"
)

// Callback status values sent in the body (the Epusdt order statuses).
const (
	StatusPaid    = store.OrderPaid
	StatusExpired = store.OrderExpired
)

// Body is the Epusdt callback JSON, fields in upstream order. Amount and
// ActualAmount are JSON numbers written from exact decimal text.
type Body struct {
	TradeID            string      `json:"trade_id"`
	OrderID            string      `json:"order_id"`
	Amount             json.Number `json:"amount"`
	ActualAmount       json.Number `json:"actual_amount"`
	Token              string      `json:"token"`
	BlockTransactionID string      `json:"block_transaction_id"`
	Signature          string      `json:"signature"`
	Status             int         `json:"status"`
}

// BuildBody makes the signed callback body of order o with the given
// status: amount echoes the stored fiat amount text exactly as the merchant
// sent it, actual_amount is the USDT amount without trailing zeros.
func BuildBody(o store.Order, status int, token string) ([]byte, error) {
	actual, err := decimal.NewFromString(o.ActualAmount)
	if err != nil {
		return nil, fmt.Errorf("build callback of %s: actual_amount %q: %w", o.TradeID, o.ActualAmount, err)
	}
	b := Body{TradeID: o.TradeID, OrderID: o.OrderID, Amount: json.Number(o.Amount),
		ActualAmount: json.Number(actual.String()), Token: o.Token, BlockTransactionID: o.BlockTransactionID, Status: status}
	fields, err := b.fields()
	if err != nil {
		return nil, fmt.Errorf("build callback of %s: %w", o.TradeID, err)
	}
	b.Signature = SignMD5(fields, token)
	raw, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("build callback of %s: %w", o.TradeID, err)
	}
	return raw, nil
}

// fields returns the signed fields as text, numbers in their shortest
// float64 form as the Epusdt signature rule says.
func (b Body) fields() (map[string]string, error) {
	amount, err := NumberText(b.Amount)
	if err != nil {
		return nil, fmt.Errorf("amount: %w", err)
	}
	actual, err := NumberText(b.ActualAmount)
	if err != nil {
		return nil, fmt.Errorf("actual_amount: %w", err)
	}
	return map[string]string{"trade_id": b.TradeID, "order_id": b.OrderID, "amount": amount,
		"actual_amount": actual, "token": b.Token, "block_transaction_id": b.BlockTransactionID,
		"status": strconv.Itoa(b.Status)}, nil
}

// NumberText turns a JSON number into the text the Epusdt signature uses:
// the shortest decimal form of its float64 value, without exponent (42,
// 42.5, 7.91). This is the one place a float appears: the wire rule needs it.
func NumberText(n json.Number) (string, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return "", fmt.Errorf("not a number: %q", string(n))
	}
	return strconv.FormatFloat(f, 'f', -1, 64), nil
}

// SignMD5 computes the Epusdt MD5 signature: fields with an empty value are
// skipped, the rest become key=value, sorted, joined with &, the token is
// appended and the MD5 is returned in lowercase hex. The "signature" field
// itself is never signed.
func SignMD5(fields map[string]string, token string) string {
	parts := make([]string, 0, len(fields))
	for k, v := range fields {
		if v == "" || k == "signature" {
			continue
		}
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	sum := md5.Sum([]byte(strings.Join(parts, "&") + token))
	return hex.EncodeToString(sum[:])
}

// SignHMAC returns the Epusdt-Signature header value:
// "v1=" + hex HMAC-SHA256(token, "{eventID}.{timestamp}.{body}").
func SignHMAC(token, eventID, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte(eventID + "." + timestamp + "."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}
