package api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// messages returns the cashier texts per language.
func messages() map[string]map[string]string {
	return map[string]map[string]string{
		"en": {
			"lang_name": "English", "title": "Pay with USDT", "amount": "Amount to send",
			"exact_amount": "Send exactly this amount, or the payment cannot be matched", "address": "To this address",
			"copy": "Copy", "copied": "Copied", "copy_failed": "Copy failed: select and copy by hand",
			"qr_alt": "QR code of the receiving address", "qr_link_alt": "QR code of the payment link",
			"show_link_qr": "Show payment-link QR", "show_address_qr": "Show address QR", "open_wallet": "Open in wallet",
			"waiting": "Waiting for your payment…", "confirming": "Payment seen, confirming",
			"paid": "Payment received. Thank you!", "paid_redirect": "Payment received. Returning to the shop…",
			"expired": "This order has expired. Do not pay it.", "time_left": "Time left:",
			"no_approve": "Paying only ever needs a plain USDT transfer. Never approve a token, sign a permit or connect a wallet to a site for this payment.",
			"trade":      "Order", "return_shop": "Return to the shop",
			"unknown_title": "Order not found", "unknown_text": "There is no pending order with this link. Check the link or go back to the shop.",
			"paid_title": "Order paid", "paid_text": "This order has been paid. Nothing more to do.",
			"expired_title": "Order expired", "expired_text": "This order has expired. Do not send money to it; create a new order in the shop.",
			"error_title": "Temporarily unavailable", "error_text": "Please reload the page in a moment.",
			"chain_tron": "USDT on TRON (TRC-20)", "chain_ethereum": "USDT on Ethereum (ERC-20)",
			"chain_bsc": "USDT on BNB Smart Chain (BEP-20)", "chain_polygon": "USDT on Polygon PoS",
		},
		"zh": {
			"lang_name": "中文", "title": "USDT 支付", "amount": "支付金额",
			"exact_amount": "请准确支付此金额，否则无法确认到账", "address": "收款地址",
			"copy": "复制", "copied": "已复制", "copy_failed": "复制失败，请手动选择复制",
			"qr_alt": "收款地址二维码", "qr_link_alt": "支付链接二维码",
			"show_link_qr": "显示支付链接二维码", "show_address_qr": "显示地址二维码", "open_wallet": "在钱包中打开",
			"waiting": "等待支付…", "confirming": "已检测到付款，确认中",
			"paid": "支付成功，谢谢！", "paid_redirect": "支付成功，正在返回商户…",
			"expired": "订单已过期，请勿支付。", "time_left": "剩余时间：",
			"no_approve": "本次支付只需普通的 USDT 转账。切勿为此授权（approve）代币、签署 permit 或将钱包连接到任何网站。",
			"trade":      "订单号", "return_shop": "返回商户",
			"unknown_title": "订单不存在", "unknown_text": "没有与此链接对应的待支付订单，请检查链接或返回商户。",
			"paid_title": "订单已支付", "paid_text": "此订单已支付完成，无需再次付款。",
			"expired_title": "订单已过期", "expired_text": "此订单已过期，请勿向其付款；请回到商户重新下单。",
			"error_title": "暂时无法访问", "error_text": "请稍后刷新页面。",
			"chain_tron": "TRON 链 USDT (TRC-20)", "chain_ethereum": "以太坊 USDT (ERC-20)",
			"chain_bsc": "BNB 智能链 USDT (BEP-20)", "chain_polygon": "Polygon PoS 链 USDT",
		},
	}
}

// pickLang chooses "zh" or "en": the lang query parameter when valid,
// otherwise the first of those two in Accept-Language by preference.
func pickLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		return l
	}
	type pref struct {
		lang string
		q    float64
		i    int
	}
	var prefs []pref
	for i, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == "zh" || base == "en") && q > 0 {
			prefs = append(prefs, pref{base, q, i})
		}
	}
	sort.SliceStable(prefs, func(a, b int) bool { return prefs[a].q > prefs[b].q })
	if len(prefs) > 0 {
		return prefs[0].lang
	}
	return "en"
}

func otherLang(l string) string {
	if l == "zh" {
		return "en"
	}
	return "zh"
}
