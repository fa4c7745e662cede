package tgtest

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p params) int {
	offset, _ := p.int("offset")
	timeout, _ := p.int("timeout")
	limit, ok := p.int("limit")
	if !ok || limit <= 0 || limit > 100 {
		limit = 100
	}
	s.mu.Lock()
	if s.polling > 0 {
		s.mu.Unlock()
		return s.fail(w, http.StatusConflict,
			"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
	}
	s.polling++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling--
		s.mu.Unlock()
	}()
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		s.confirmLocked(offset)
		n := min(int(limit), len(s.updates))
		out := append([]Update{}, s.updates[:n]...)
		changed := s.changed
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			writeJSON(w, http.StatusOK, envelope{OK: true, Result: out})
			return http.StatusOK
		}
		select {
		case <-changed:
		case <-deadline.C:
			timeout = 0
		case <-r.Context().Done():
			return 499
		}
	}
}

// confirmLocked forgets updates below offset, as the real API does once a
// getUpdates call names a higher offset.
func (s *Server) confirmLocked(offset int64) {
	if offset <= 0 {
		return
	}
	keep := s.updates[:0]
	for _, u := range s.updates {
		if u.UpdateID >= offset {
			keep = append(keep, u)
		}
	}
	s.updates = keep
}

func (s *Server) sendMessage(w http.ResponseWriter, p params) int {
	chatID, ok := p.int("chat_id")
	if !ok {
		return s.fail(w, http.StatusBadRequest, "Bad Request: chat_id is empty")
	}
	text := p.str("text")
	if st, bad := s.checkText(w, text); bad {
		return st
	}
	mk, err := p.markup()
	if err != nil {
		return s.fail(w, http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	s.mu.Lock()
	if s.blocked[chatID] {
		s.mu.Unlock()
		return s.fail(w, http.StatusForbidden, "Forbidden: bot was blocked by the user")
	}
	id := s.nextMsg
	s.nextMsg++
	m := Sent{Method: "sendMessage", ChatID: chatID, MessageID: id, Text: text, ParseMode: p.str("parse_mode"), Markup: mk}
	s.sent = append(s.sent, m)
	s.live[msgKey{chatID, id}] = m
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, envelope{OK: true, Result: s.botMessage(m)})
	return http.StatusOK
}

func (s *Server) checkText(w http.ResponseWriter, text string) (int, bool) {
	if text == "" {
		return s.fail(w, http.StatusBadRequest, "Bad Request: message text is empty"), true
	}
	if utf8.RuneCountInString(text) > 4096 {
		return s.fail(w, http.StatusBadRequest, "Bad Request: message is too long"), true
	}
	return 0, false
}

func (s *Server) editMessageText(w http.ResponseWriter, p params) int {
	chatID, ok1 := p.int("chat_id")
	msgID, ok2 := p.int("message_id")
	if !ok1 || !ok2 {
		return s.fail(w, http.StatusBadRequest, "Bad Request: message identifier is not specified")
	}
	text := p.str("text")
	if st, bad := s.checkText(w, text); bad {
		return st
	}
	mk, err := p.markup()
	if err != nil {
		return s.fail(w, http.StatusBadRequest, "Bad Request: "+err.Error())
	}
	s.mu.Lock()
	old, found := s.live[msgKey{chatID, msgID}]
	if !found {
		s.mu.Unlock()
		return s.fail(w, http.StatusBadRequest, "Bad Request: message to edit not found")
	}
	if old.Text == text && reflect.DeepEqual(old.Markup, mk) {
		s.mu.Unlock()
		return s.fail(w, http.StatusBadRequest, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	m := Sent{Method: "editMessageText", ChatID: chatID, MessageID: msgID, Text: text, ParseMode: p.str("parse_mode"), Markup: mk}
	s.sent = append(s.sent, m)
	s.live[msgKey{chatID, msgID}] = m
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, envelope{OK: true, Result: s.botMessage(m)})
	return http.StatusOK
}

func (s *Server) answerCallbackQuery(w http.ResponseWriter, p params) int {
	id := p.str("callback_query_id")
	if id == "" {
		return s.fail(w, http.StatusBadRequest, "Bad Request: query is too old and response timeout expired or query ID is invalid")
	}
	s.mu.Lock()
	s.answers = append(s.answers, Answer{CallbackQueryID: id, Text: p.str("text")})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, envelope{OK: true, Result: true})
	return http.StatusOK
}

func (s *Server) botMessage(m Sent) Message {
	return Message{MessageID: m.MessageID, From: &User{ID: BotID, IsBot: true, FirstName: "Fake", Username: "fake_bot"},
		Chat: Chat{ID: m.ChatID, Type: "private"}, Date: time.Now().Unix(), Text: m.Text}
}

type msgKey struct{ chat, id int64 }

// Block makes sendMessage to chatID answer 403 "bot was blocked by the
// user" (or unblocks it).
func (s *Server) Block(chatID int64, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked[chatID] = blocked
}

// PushText queues a private text message from user, as getUpdates will
// return it, and returns its update id.
func (s *Server) PushText(from User, text string) int64 {
	return s.PushTextIn(Chat{ID: from.ID, Type: "private"}, from, text)
}

// PushTextIn queues a text message from user in chat (e.g. a group).
func (s *Server) PushTextIn(chat Chat, from User, text string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := &Message{MessageID: s.nextMsg, From: &from, Chat: chat, Date: time.Now().Unix(), Text: text}
	s.nextMsg++
	return s.pushLocked(Update{Message: msg})
}

// PushPress queues a press by user on a button (callback data) of a message
// the bot sent, and returns the callback query id.
func (s *Server) PushPress(from User, on Sent, data string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.botMessage(on)
	id := "cbq" + strconv.FormatInt(s.nextUpd, 10)
	s.pushLocked(Update{CallbackQuery: &CallbackQuery{ID: id, From: from, Message: &msg, Data: data}})
	return id
}

func (s *Server) pushLocked(u Update) int64 {
	u.UpdateID = s.nextUpd
	s.nextUpd++
	s.updates = append(s.updates, u)
	s.notifyLocked()
	return u.UpdateID
}

// Pending returns how many queued updates the bot has not confirmed yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// Sent returns every message sent or edited so far, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Answers returns every answerCallbackQuery call so far.
func (s *Server) Answers() []Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Answer(nil), s.answers...)
}

// WaitFor waits until pred holds for the server's state (checked after
// every request) or the timeout passes, and returns the messages sent.
func (s *Server) WaitFor(timeout time.Duration, pred func(sent []Sent) bool) ([]Sent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		s.mu.Lock()
		sent := append([]Sent(nil), s.sent...)
		changed := s.changed
		s.mu.Unlock()
		if pred(sent) {
			return sent, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return sent, fmt.Errorf("tgtest: condition not met within %s (%d messages sent)", timeout, len(sent))
		}
	}
}

// WaitSent waits for the first message after skip messages that satisfies
// pred, and returns it.
func (s *Server) WaitSent(timeout time.Duration, skip int, pred func(m Sent) bool) (Sent, error) {
	var found Sent
	_, err := s.WaitFor(timeout, func(sent []Sent) bool {
		for i := skip; i < len(sent); i++ {
			if pred(sent[i]) {
				found = sent[i]
				return true
			}
		}
		return false
	})
	return found, err
}
