package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/money"
)

// readSigned reads a JSON object body, verifies its signature and asks the
// replay guard. Order of refusals: 413 too large, 10009 not a JSON object,
// 401 bad signature or replay.
func (a *API) readSigned(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	r.Body = http.MaxBytesReader(w, r.Body, a.bodyLimit)
	body, err := io.ReadAll(r.Body)
	if httpx.IsBodyTooLarge(err) {
		return nil, &reqError{http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "request body too large"}
	}
	if err != nil {
		return nil, errUnparseable("could not read the body")
	}
	fields, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	if err := verify(fields, a.token()); err != nil {
		return nil, err
	}
	if a.replay != nil {
		ts, _, _ := SignText(fields["timestamp"])
		nonce, _, _ := SignText(fields["nonce"])
		if err := a.replay.CheckReplay(r.Context(), ts, nonce); err != nil {
			return nil, errSignature(err.Error())
		}
	}
	return fields, nil
}

// decodeObject parses a body that must be exactly one JSON object, keeping
// numbers as their text.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errUnparseable("the body is not JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errUnparseable("extra data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errUnparseable("the body must be a JSON object")
	}
	return obj, nil
}

// fields reads typed values from a decoded request; the first type error
// sticks (10009 naming the field). null counts as absent.
type fields struct {
	m   map[string]any
	err error
}

func (f *fields) wrongType(name, want string) {
	if f.err == nil {
		f.err = errUnparseable(name + " must be a JSON " + want + ", not a " + jsonKind(f.m[name]))
	}
}

// str returns a string field ("" when absent).
func (f *fields) str(name string) string {
	switch v := f.m[name].(type) {
	case nil:
		return ""
	case string:
		return v
	}
	f.wrongType(name, "string")
	return ""
}

// num returns a number field and whether it is present.
func (f *fields) num(name string) (json.Number, bool) {
	switch v := f.m[name].(type) {
	case nil:
		return "", false
	case json.Number:
		return v, true
	}
	f.wrongType(name, "number")
	return "", false
}

// amount reads the required fiat amount exactly.
func (f *fields) amount() (decimal.Decimal, string, error) {
	n, ok := f.num("amount")
	if f.err != nil {
		return decimal.Decimal{}, "", f.err
	}
	if !ok {
		return decimal.Decimal{}, "", errField("amount", "is required")
	}
	d, text, err := money.ParseAmount(n)
	if err != nil {
		return decimal.Decimal{}, "", errField("amount", err.Error())
	}
	return d, text, nil
}

// seconds reads an optional whole number of seconds (0 when absent).
func (f *fields) seconds(name string) (int64, error) {
	n, ok := f.num(name)
	if f.err != nil || !ok {
		return 0, f.err
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil && i > 0 && i <= 10*365*86400 {
		return i, nil
	}
	if d, err := decimal.NewFromString(string(n)); err == nil && d.IsInteger() && d.IsPositive() && d.LessThan(decimal.NewFromInt(10*365*86400)) {
		return d.IntPart(), nil
	}
	return 0, errField(name, "must be a positive whole number of seconds")
}
