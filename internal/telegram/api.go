package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// DefaultAPIBase is the Bot API base URL used when tg_proxy is empty.
const DefaultAPIBase = "https://api.telegram.org"

// User is a Telegram user.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is a Telegram chat.
type Chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// Message is an incoming or sent message.
type Message struct {
	MessageID int64  `json:"message_id"`
	From      *User  `json:"from,omitempty"`
	Chat      Chat   `json:"chat"`
	Date      int64  `json:"date"`
	Text      string `json:"text,omitempty"`
}

// CallbackQuery is a press on an inline keyboard button.
type CallbackQuery struct {
	ID      string   `json:"id"`
	From    User     `json:"from"`
	Message *Message `json:"message,omitempty"`
	Data    string   `json:"data,omitempty"`
}

// Update is one incoming update of getUpdates.
type Update struct {
	UpdateID      int64          `json:"update_id"`
	Message       *Message       `json:"message,omitempty"`
	CallbackQuery *CallbackQuery `json:"callback_query,omitempty"`
}

// Button is one inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

// Keyboard is an inline keyboard (rows of buttons).
type Keyboard struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

// APIError is an error answer of the Bot API.
type APIError struct {
	Method      string
	Code        int           // error_code (the HTTP status)
	Description string        // description
	RetryAfter  time.Duration // parameters.retry_after, on 429
}

// Error says which method failed and what Telegram answered.
func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
}

// Temporary reports whether repeating the same call later may succeed: flood
// control (429), server errors (5xx) and conflicting long polls (409).
func (e *APIError) Temporary() bool {
	return e.Code == http.StatusTooManyRequests || e.Code == http.StatusConflict || e.Code >= 500
}

// Client calls the Bot API. The token is part of every URL; Client never
// puts it into an error.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// NewClient returns a client for the Bot API at base (DefaultAPIBase when
// empty) with token. hc nil means a client with sensible transport limits;
// every call carries its own deadline through its context.
func NewClient(base, token string, hc *http.Client) *Client {
	if base == "" {
		base = DefaultAPIBase
	}
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 4,
			IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 0}}
	}
	return &Client{base: strings.TrimRight(base, "/"), token: token, hc: hc}
}

type apiResponse struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

// call posts params as JSON to method and decodes the result into out.
func (c *Client) call(ctx context.Context, method string, params, out any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("telegram %s: encode: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/bot"+c.token+"/"+method, bytes.NewReader(body))
	if err != nil {
		return c.masked(ctx, method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.masked(ctx, method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return c.masked(ctx, method, err)
	}
	var ar apiResponse
	if err := json.Unmarshal(raw, &ar); err != nil {
		return &APIError{Method: method, Code: resp.StatusCode, Description: "unreadable answer: " + http.StatusText(resp.StatusCode)}
	}
	if !ar.OK {
		code := ar.ErrorCode
		if code == 0 {
			code = resp.StatusCode
		}
		return &APIError{Method: method, Code: code, Description: c.mask(ar.Description),
			RetryAfter: time.Duration(ar.Parameters.RetryAfter) * time.Second}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(ar.Result, out); err != nil {
		return fmt.Errorf("telegram %s: decode result: %w", method, err)
	}
	return nil
}

// masked turns a transport error into one without the token (net/http
// errors quote the URL). Context ends stay recognisable with errors.Is.
func (c *Client) masked(ctx context.Context, method string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("telegram %s: %w", method, ctxErr)
	}
	return fmt.Errorf("telegram %s: %w", method, errors.New(c.mask(err.Error())))
}

func (c *Client) mask(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "****")
}

// GetMe checks the token and returns the bot's own user.
func (c *Client) GetMe(ctx context.Context) (User, error) {
	var u User
	err := c.call(ctx, "getMe", struct{}{}, &u)
	return u, err
}

// GetUpdates long-polls for updates from offset, waiting up to timeout.
func (c *Client) GetUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]Update, error) {
	var ups []Update
	err := c.call(ctx, "getUpdates", map[string]any{"offset": offset, "timeout": int(timeout / time.Second),
		"allowed_updates": []string{"message", "callback_query"}}, &ups)
	return ups, err
}

// SendMessage sends a plain-text message, with an inline keyboard when kb
// is not nil, and returns its message id.
func (c *Client) SendMessage(ctx context.Context, chatID int64, text string, kb *Keyboard) (int64, error) {
	p := map[string]any{"chat_id": chatID, "text": text, "link_preview_options": map[string]bool{"is_disabled": true}}
	if kb != nil {
		p["reply_markup"] = kb
	}
	var m Message
	err := c.call(ctx, "sendMessage", p, &m)
	return m.MessageID, err
}

// EditMessageText replaces the text and keyboard of a message the bot sent.
// An edit that changes nothing is not an error.
func (c *Client) EditMessageText(ctx context.Context, chatID, messageID int64, text string, kb *Keyboard) error {
	p := map[string]any{"chat_id": chatID, "message_id": messageID, "text": text,
		"link_preview_options": map[string]bool{"is_disabled": true}}
	if kb != nil {
		p["reply_markup"] = kb
	}
	err := c.call(ctx, "editMessageText", p, nil)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == http.StatusBadRequest && strings.Contains(ae.Description, "message is not modified") {
		return nil
	}
	return err
}

// AnswerCallbackQuery stops the button's progress indicator, optionally
// showing text as a short notice.
func (c *Client) AnswerCallbackQuery(ctx context.Context, id, text string) error {
	p := map[string]any{"callback_query_id": id}
	if text != "" {
		p["text"] = text
	}
	return c.call(ctx, "answerCallbackQuery", p, nil)
}
