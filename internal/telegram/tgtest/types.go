package tgtest

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// User is a Telegram user (the fields the gateway reads).
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

// Message is a Telegram message.
type Message struct {
	MessageID   int64           `json:"message_id"`
	From        *User           `json:"from,omitempty"`
	Chat        Chat            `json:"chat"`
	Date        int64           `json:"date"`
	Text        string          `json:"text,omitempty"`
	ReplyMarkup json.RawMessage `json:"reply_markup,omitempty"`
}

// CallbackQuery is a press on an inline keyboard button.
type CallbackQuery struct {
	ID      string   `json:"id"`
	From    User     `json:"from"`
	Message *Message `json:"message,omitempty"`
	Data    string   `json:"data,omitempty"`
}

// Update is one incoming update.
type Update struct {
	UpdateID      int64          `json:"update_id"`
	Message       *Message       `json:"message,omitempty"`
	CallbackQuery *CallbackQuery `json:"callback_query,omitempty"`
}

// Button is an inline keyboard button as the bot sent it.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
}

// Markup is an inline keyboard as the bot sent it.
type Markup struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

// Sent is a message the bot sent (sendMessage) or edited (editMessageText).
type Sent struct {
	Method    string // "sendMessage" or "editMessageText"
	ChatID    int64
	MessageID int64
	Text      string
	ParseMode string
	Markup    *Markup
}

// Button finds a button of the message whose text or callback data
// contains s.
func (m Sent) Button(s string) (Button, bool) {
	if m.Markup == nil {
		return Button{}, false
	}
	for _, row := range m.Markup.InlineKeyboard {
		for _, b := range row {
			if strings.Contains(b.Text, s) || strings.Contains(b.CallbackData, s) {
				return b, true
			}
		}
	}
	return Button{}, false
}

// Answer is an answerCallbackQuery call.
type Answer struct {
	CallbackQueryID string
	Text            string
}

// params holds a request's parameters, from the query string, a form or a
// JSON body, as raw JSON values.
type params map[string]json.RawMessage

func readParams(r *http.Request) (params, error) {
	p := params{}
	for k, vs := range r.URL.Query() {
		p.setText(k, vs[0])
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, errors.New("can't parse JSON")
		}
		for k, v := range m {
			p[k] = v
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
			return nil, err
		}
		for k, vs := range r.PostForm {
			p.setText(k, vs[0])
		}
	}
	return p, nil
}

// setText stores a text value: JSON-looking text (numbers, objects) as is,
// anything else as a JSON string, as the real API interprets form fields.
func (p params) setText(k, v string) {
	if json.Valid([]byte(v)) && (strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[") || isNumber(v)) {
		p[k] = json.RawMessage(v)
		return
	}
	b, _ := json.Marshal(v)
	p[k] = b
}

func isNumber(v string) bool {
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}

func (p params) str(k string) string {
	raw, ok := p[k]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func (p params) int(k string) (int64, bool) {
	raw, ok := p[k]
	if !ok {
		return 0, false
	}
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return n, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func (p params) markup() (*Markup, error) {
	raw, ok := p["reply_markup"]
	if !ok {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		raw = json.RawMessage(s)
	}
	var m Markup
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("can't parse reply keyboard markup JSON object")
	}
	for _, row := range m.InlineKeyboard {
		for _, b := range row {
			if len(b.CallbackData) > 64 {
				return nil, errors.New("BUTTON_DATA_INVALID")
			}
		}
	}
	return &m, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
