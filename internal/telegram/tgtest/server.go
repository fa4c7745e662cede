// Package tgtest is a fake Telegram Bot API server for tests. It listens on
// a real loopback HTTP port, routes /bot<token>/<method> like the real API,
// and speaks its JSON formats: getMe, getUpdates (offset, timeout, limit;
// 409 when two long polls overlap), sendMessage, editMessageText and
// answerCallbackQuery. Tests queue incoming updates, read back what the bot
// sent, and inject 429 (with parameters.retry_after) or 5xx answers.
package tgtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// BotID is the user id of the fake bot (getMe).
const BotID = 777000111

// Server is a running fake Bot API.
type Server struct {
	// URL is the base URL to configure as tg_proxy.
	URL   string
	token string
	hs    *httptest.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever state changes
	updates  []Update
	nextUpd  int64
	nextMsg  int64
	polling  int // getUpdates calls in progress
	sent     []Sent
	answers  []Answer
	calls    []Call
	failures map[string][]Failure
	blocked  map[int64]bool
	live     map[msgKey]Sent
}

// Failure is an injected error answer for one call of a method.
type Failure struct {
	Status     int // 429, 500, 502, …
	RetryAfter int // seconds, sent as parameters.retry_after on 429
}

// Call is one request the server received, for assertions on timing and
// order.
type Call struct {
	Method string
	At     time.Time
	Status int // HTTP status answered
}

// New starts a fake Bot API that accepts token.
func New(token string) *Server {
	s := &Server{token: token, changed: make(chan struct{}), nextUpd: 1000, nextMsg: 1,
		failures: map[string][]Failure{}, blocked: map[int64]bool{}, live: map[msgKey]Sent{}}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.hs.URL
	return s
}

// Close stops the server and ends pending long polls.
func (s *Server) Close() {
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
	s.hs.CloseClientConnections()
	s.hs.Close()
}

// Fail makes the next calls of method answer with the given failures, in
// order, before it answers normally again.
func (s *Server) Fail(method string, fs ...Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], fs...)
}

// Heal drops the failures still queued for method.
func (s *Server) Heal(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, method)
}

// Calls returns every request received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsOf returns the requests of one method.
func (s *Server) CallsOf(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// notifyLocked wakes everyone waiting for a change; s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

type envelope struct {
	OK          bool            `json:"ok"`
	Result      any             `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *responseParams `json:"parameters,omitempty"`
}

type responseParams struct {
	RetryAfter int `json:"retry_after,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v envelope) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) fail(w http.ResponseWriter, status int, desc string) int {
	writeJSON(w, status, envelope{ErrorCode: status, Description: desc})
	return status
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		s.fail(w, http.StatusNotFound, "Not Found")
		return
	}
	status := s.route(w, r, token, method)
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, At: time.Now(), Status: status})
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, token, method string) int {
	if token != s.token {
		return s.fail(w, http.StatusUnauthorized, "Unauthorized")
	}
	if st := s.injected(w, method); st != 0 {
		return st
	}
	p, err := readParams(r)
	if err != nil {
		return s.fail(w, http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	switch method {
	case "getMe":
		writeJSON(w, http.StatusOK, envelope{OK: true, Result: User{ID: BotID, IsBot: true, FirstName: "Fake", Username: "fake_bot"}})
		return http.StatusOK
	case "getUpdates":
		return s.getUpdates(w, r, p)
	case "sendMessage":
		return s.sendMessage(w, p)
	case "editMessageText":
		return s.editMessageText(w, p)
	case "answerCallbackQuery":
		return s.answerCallbackQuery(w, p)
	}
	return s.fail(w, http.StatusNotFound, "Not Found: method not found")
}

// injected answers with the next queued failure of method, if any.
func (s *Server) injected(w http.ResponseWriter, method string) int {
	s.mu.Lock()
	fs := s.failures[method]
	if len(fs) == 0 {
		s.mu.Unlock()
		return 0
	}
	f := fs[0]
	s.failures[method] = fs[1:]
	s.mu.Unlock()
	if f.Status == http.StatusTooManyRequests {
		writeJSON(w, f.Status, envelope{ErrorCode: f.Status,
			Description: "Too Many Requests: retry after " + itoa(f.RetryAfter),
			Parameters:  &responseParams{RetryAfter: f.RetryAfter}})
		return f.Status
	}
	return s.fail(w, f.Status, http.StatusText(f.Status))
}
