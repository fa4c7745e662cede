package api

import (
	"context"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/payment"
)

// Epusdt codes and their upstream texts.
const (
	codeSystem      = 400
	codeSignature   = 401
	codeExists      = 10002
	codeNoWallet    = 10003
	codeAmount      = 10004
	codeNoSlot      = 10005
	codeRate        = 10006
	codeNotFound    = 10008
	codeUnparseable = 10009
)

func codeText(code int) string {
	switch code {
	case codeSystem:
		return "系统错误"
	case codeSignature:
		return "签名认证错误"
	case codeExists:
		return "支付交易已存在，请勿重复创建"
	case codeNoWallet:
		return "无可用钱包地址，无法发起支付"
	case codeAmount:
		return "支付金额有误, 无法满足最小支付单位"
	case codeNoSlot:
		return "无可用金额通道"
	case codeRate:
		return "汇率计算错误"
	case codeNotFound:
		return "订单不存在"
	case codeUnparseable:
		return "无法解析请求参数"
	}
	return "internal error"
}

// reqError is a refusal decided by the API layer itself.
type reqError struct {
	http   int
	code   int
	detail string
}

func (e *reqError) Error() string { return codeText(e.code) + ": " + e.detail }

func errSignature(detail string) error { return &reqError{http.StatusOK, codeSignature, detail} }
func errUnparseable(detail string) error {
	return &reqError{http.StatusOK, codeUnparseable, detail}
}
func errField(field, reason string) error {
	return &payment.ValidationError{Field: field, Reason: reason}
}

// classify is the one place an error becomes an HTTP status, an Epusdt code
// and a message.
func classify(err error) (httpStatus, code int, msg string) {
	var re *reqError
	var ve *payment.ValidationError
	switch {
	case errors.As(err, &re):
		msg = codeText(re.code)
		if re.detail != "" {
			msg += ": " + re.detail
		}
		return re.http, re.code, msg
	case errors.As(err, &ve):
		return http.StatusOK, codeSystem, ve.Error()
	case errors.Is(err, payment.ErrOrderPaid):
		return http.StatusOK, codeSystem, "订单已支付，无法取消 (the order is paid and cannot be canceled)"
	}
	for _, m := range []struct {
		err  error
		code int
	}{
		{payment.ErrOrderExists, codeExists}, {payment.ErrNoWallet, codeNoWallet},
		{payment.ErrAmountTooSmall, codeAmount}, {payment.ErrNoSlot, codeNoSlot},
		{payment.ErrNoRate, codeRate}, {payment.ErrNotFound, codeNotFound},
	} {
		if errors.Is(err, m.err) {
			return http.StatusOK, m.code, codeText(m.code)
		}
	}
	return http.StatusInternalServerError, 500, "internal error"
}

// fail answers err as an Epusdt envelope; unexpected errors are logged
// (their text never reaches the client).
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := classify(err)
	if code == 500 && !errors.Is(err, context.Canceled) {
		a.log.Error("request failed", zap.String("path", r.URL.Path), zap.String("request_id", httpx.RequestID(r.Context())),
			zap.Error(err))
	}
	httpx.FailHTTP(w, r, status, code, msg)
}
