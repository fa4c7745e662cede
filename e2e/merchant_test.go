package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// callback is one verified callback the fake merchant received.
type callback struct {
	EventID string
	Fields  map[string]string
	Raw     []byte
}

// merchant is a fake shop backend that verifies callbacks like a PHP plugin
// (MD5 body signature) and a new integration (HMAC header) would.
type merchant struct {
	srv   *httptest.Server
	token string
	mu    sync.Mutex
	got   []callback
	bad   []string
}

func newMerchant(t testing.TB, token string) *merchant {
	m := &merchant{token: token}
	m.srv = httptest.NewServer(http.HandlerFunc(m.handle))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchant) url(path string) string { return m.srv.URL + path }

func (m *merchant) handle(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if err := m.verify(r, raw); err != nil {
		m.mu.Lock()
		m.bad = append(m.bad, err.Error())
		m.mu.Unlock()
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	fields, _ := flatten(raw)
	m.mu.Lock()
	m.got = append(m.got, callback{EventID: r.Header.Get("Epusdt-Event-Id"), Fields: fields, Raw: raw})
	m.mu.Unlock()
	_, _ = w.Write([]byte("ok"))
}

// flatten turns the JSON body into PHP-like string values.
func flatten(raw []byte) (map[string]string, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range m {
		switch x := v.(type) {
		case json.Number:
			f, _ := x.Float64()
			out[k] = strconv.FormatFloat(f, 'f', -1, 64)
		case string:
			out[k] = x
		case nil:
		default:
			return nil, fmt.Errorf("field %s has type %T", k, v)
		}
	}
	return out, nil
}

func (m *merchant) verify(r *http.Request, raw []byte) error {
	fields, err := flatten(raw)
	if err != nil {
		return err
	}
	if want := phpSign(fields, m.token); fields["signature"] != want {
		return fmt.Errorf("md5 signature %s, want %s", fields["signature"], want)
	}
	mac := hmac.New(sha256.New, []byte(m.token))
	fmt.Fprintf(mac, "%s.%s.%s", r.Header.Get("Epusdt-Event-Id"), r.Header.Get("Epusdt-Timestamp"), raw)
	if want := "v1=" + hex.EncodeToString(mac.Sum(nil)); r.Header.Get("Epusdt-Signature") != want {
		return fmt.Errorf("hmac header %q, want %q", r.Header.Get("Epusdt-Signature"), want)
	}
	return nil
}

// callbacks returns a copy of the verified callbacks so far.
func (m *merchant) callbacks() []callback {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]callback(nil), m.got...)
}

// failures returns the signature failures seen.
func (m *merchant) failures() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.bad...)
}
