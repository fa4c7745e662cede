package api

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/epusdt/epusdt/internal/money"
)

// SignText turns one JSON value into its signature text: a string as is, a
// number as money.SignText gives it (shortest float64 form, integers as
// digits). ok is false for null and "" (skipped). Booleans, arrays and
// objects cannot be signed and return an error. Go integers are accepted
// too, for callers that build the fields themselves.
func SignText(v any) (text string, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return x, x != "", nil
	case json.Number:
		t, err := money.SignText(x)
		return t, err == nil, err
	case int:
		return strconv.Itoa(x), true, nil
	case int64:
		return strconv.FormatInt(x, 10), true, nil
	}
	return "", false, fmt.Errorf("a %s cannot be signed", jsonKind(v))
}

// Sign computes the Epusdt signature of fields (every top-level field of a
// request or callback; "signature" itself is ignored): key=value for each
// non-empty field, sorted, joined with &, the token appended directly, MD5
// in lowercase hex.
func Sign(fields map[string]any, token string) (string, error) {
	parts := make([]string, 0, len(fields))
	for k, v := range fields {
		if k == "signature" {
			continue
		}
		t, ok, err := SignText(v)
		if err != nil {
			return "", fmt.Errorf("field %s: %w", k, err)
		}
		if ok {
			parts = append(parts, k+"="+t)
		}
	}
	sort.Strings(parts)
	sum := md5.Sum([]byte(strings.Join(parts, "&") + token))
	return hex.EncodeToString(sum[:]), nil
}

// verify checks fields["signature"] against the signature of the other
// fields in constant time. An empty token verifies nothing.
func verify(fields map[string]any, token string) error {
	if token == "" {
		return errSignature("no api token is configured")
	}
	got, _ := fields["signature"].(string)
	if got == "" {
		return errSignature("signature is missing")
	}
	want, err := Sign(fields, token)
	if err != nil {
		return errSignature(err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errSignature("")
	}
	return nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case string:
		return "string"
	case json.Number:
		return "number"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
