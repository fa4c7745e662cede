package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"go.uber.org/zap"
)

// lang is a text language of the bot.
type lang int

const (
	english lang = iota
	chinese
)

// langSetting prefixes the settings row keeping a manager's chosen language.
const langSetting = "telegram.lang."

// catalog returns every text of the bot in English and Chinese, keyed by
// name. Texts are fmt formats.
func catalog() map[string][2]string {
	return map[string][2]string{
		"menu": {"EPUSDT gateway bot\n/wallets – wallets and their status\n/addwallet – add a wallet\n/order <trade_id|order_id> – look up an order\n/resend <trade_id> – resend its callback\n/stats – today and the last 7 days\n/health – watchers, rate, callbacks, database\n/lang en|zh – language",
			"EPUSDT 网关机器人\n/wallets – 钱包及状态\n/addwallet – 添加钱包\n/order <trade_id|order_id> – 查询订单\n/resend <trade_id> – 重发回调\n/stats – 今日与近 7 天统计\n/health – 扫块、汇率、回调、数据库状态\n/lang en|zh – 语言"},
		"btn.wallets": {"👛 Wallets", "👛 钱包"}, "btn.add": {"➕ Add wallet", "➕ 添加钱包"},
		"btn.stats": {"📊 Stats", "📊 统计"}, "btn.health": {"🩺 Health", "🩺 状态"},
		"btn.menu": {"⬅️ Menu", "⬅️ 菜单"}, "btn.list": {"⬅️ Wallets", "⬅️ 钱包列表"},
		"btn.enable": {"✅ Enable", "✅ 启用"}, "btn.disable": {"⏸ Disable", "⏸ 停用"},
		"btn.remove": {"🗑 Remove", "🗑 删除"}, "btn.remove.yes": {"🗑 Yes, remove", "🗑 确认删除"},
		"btn.resend": {"🔁 Resend callback", "🔁 重发回调"}, "btn.refresh": {"🔄 Refresh", "🔄 刷新"},
		"btn.details":   {"🧾 Details", "🧾 详情"},
		"unknown":       {"Unknown command. /start shows the menu.", "未知命令，/start 显示菜单。"},
		"cancelled":     {"Cancelled.", "已取消。"},
		"wallets.title": {"👛 Wallets", "👛 钱包"}, "wallets.none": {"No wallets yet.", "还没有钱包。"},
		"wallets.chain":    {"%s: %d enabled, %d disabled%s", "%s：%d 个启用，%d 个停用%s"},
		"wallets.more":     {"… and %d more", "… 另有 %d 个"},
		"chain.scan_off":   {" (scanning off in config)", "（配置未启用扫描）"},
		"chain.lagging":    {" (watcher %s behind)", "（扫块落后 %s）"},
		"chain.failing":    {" (RPC failing)", "（RPC 异常）"},
		"add.chain":        {"Which chain is the new wallet on?", "新钱包在哪条链上？"},
		"add.address":      {"Send the %s address (a label may follow after a space). /cancel to stop.", "请发送 %s 地址（可在空格后加备注）。/cancel 取消。"},
		"add.invalid":      {"❌ Not a valid %s address: %s\nSend another address, or /cancel.", "❌ 不是有效的 %s 地址：%s\n请重新发送，或 /cancel 取消。"},
		"add.duplicate":    {"⚠️ This %s wallet exists already: %s", "⚠️ 该 %s 钱包已存在：%s"},
		"add.ok":           {"✅ Added %s wallet %s. It is enabled and new orders use it.", "✅ 已添加 %s 钱包 %s，已启用，新订单将使用它。"},
		"add.scan_off":     {"\nNote: scanning %s is off in the configuration; payments to it are not seen until it is on.", "\n注意：配置中未启用 %s 扫描，开启前无法发现付款。"},
		"add.failed":       {"Could not add the wallet: %s", "添加钱包失败：%s"},
		"add.expired":      {"Adding a wallet timed out. Start again with /addwallet.", "添加钱包已超时，请用 /addwallet 重新开始。"},
		"wallet.gone":      {"This wallet does not exist (any more).", "该钱包不存在（或已删除）。"},
		"wallet.detail":    {"%s wallet\n%s\nLabel: %s\nStatus: %s\nAdded: %s", "%s 钱包\n%s\n备注：%s\n状态：%s\n添加时间：%s"},
		"wallet.enabled":   {"enabled ✅", "已启用 ✅"},
		"wallet.disabled":  {"disabled ⏸", "已停用 ⏸"},
		"wallet.confirm":   {"Remove %s wallet %s?\nOrders already waiting on it are still watched; new orders will not use it.", "删除 %s 钱包 %s？\n已在等待的订单仍会被监听，新订单不再使用。"},
		"wallet.removed":   {"🗑 Removed %s wallet %s.", "🗑 已删除 %s 钱包 %s。"},
		"wallet.failed":    {"Could not change the wallet: %s", "修改钱包失败：%s"},
		"order.usage":      {"Usage: /order <trade_id or order_id>", "用法：/order <trade_id 或 order_id>"},
		"order.none":       {"No order %s.", "没有订单 %s。"},
		"order.many":       {"Trades of merchant order %s (newest first):", "商户订单 %s 的交易（新的在前）："},
		"order.head":       {"🧾 Order %s\nMerchant order: %s\nStatus: %s\nAmount: %s %s = %s USDT (rate %s)\nChain: %s\nWallet: %s\nCreated: %s\nExpires: %s", "🧾 订单 %s\n商户订单号：%s\n状态：%s\n金额：%s %s = %s USDT（汇率 %s）\n链：%s\n收款钱包：%s\n创建：%s\n过期：%s"},
		"order.paid":       {"\nPaid: %s%s\nTx: %s", "\n支付时间：%s%s\n交易哈希：%s"},
		"order.late":       {" (late, after expiry)", "（超时后支付）"},
		"order.callback":   {"\nCallback %s: %s, attempts %d of %d", "\n回调 %s：%s，已尝试 %d / %d 次"},
		"order.cb_error":   {"\nLast error: %s", "\n最近错误：%s"},
		"order.no_cb":      {"\nNo callback queued.", "\n没有待发送的回调。"},
		"status.1":         {"waiting for payment", "等待支付"},
		"status.2":         {"paid ✅", "已支付 ✅"},
		"status.3":         {"expired", "已过期"},
		"status.canceled":  {"canceled", "已取消"},
		"cb.pending":       {"pending", "待发送"},
		"cb.delivered":     {"delivered ✅", "已送达 ✅"},
		"cb.failed":        {"failed ❌", "失败 ❌"},
		"resend.usage":     {"Usage: /resend <trade_id>", "用法：/resend <trade_id>"},
		"resend.ok":        {"🔁 The callback of %s is due again; a worker delivers it in a moment.", "🔁 订单 %s 的回调已重新排队，稍后发送。"},
		"resend.failed":    {"Resend of %s failed: %s", "重发 %s 失败：%s"},
		"stats.head":       {"📊 Orders per chain: created / paid / USDT paid; unmatched transfers", "📊 各链订单：创建 / 支付 / 已付 USDT；未匹配转账"},
		"stats.today":      {"\nToday (since %s):", "\n今日（自 %s）："},
		"stats.week":       {"\nLast 7 days:", "\n近 7 天："},
		"stats.row":        {"\n%s: %d / %d / %s%s; %d", "\n%s：%d / %d / %s%s；%d"},
		"stats.late":       {" (%d late)", "（%d 笔超时）"},
		"stats.none":       {"\nno orders", "\n无订单"},
		"stats.failed":     {"\nCallbacks failed for good in 7 days: %d", "\n近 7 天最终失败的回调：%d"},
		"stats.error":      {"Statistics are not available: %s", "无法获取统计：%s"},
		"health.head":      {"🩺 Health (bot on instance %s)", "🩺 运行状态（机器人实例 %s）"},
		"health.db":        {"\nDatabase: %s", "\n数据库：%s"},
		"health.cb":        {"\nCallback queue: %d pending%s; failed for good in 24 h: %d", "\n回调队列：%d 个待发送%s；24 小时内最终失败：%d"},
		"health.cb_oldest": {", oldest due %s ago", "，最早的已到期 %s"},
		"health.chain":     {"\n%s: lag %s (%d blocks), last scan %s ago", "\n%s：落后 %s（%d 块），上次扫描 %s 前"},
		"health.other":     {"\n%s: scanned by another instance", "\n%s：由其他实例扫描"},
		"health.idle":      {"\n%s: idle (no enabled wallet)", "\n%s：空闲（无启用钱包）"},
		"health.err":       {" ❌ %s", " ❌ %s"},
		"health.rate":      {"\nRate %s: %s (%s old)", "\n汇率 %s：%s（%s 前更新）"},
		"health.rate_bad":  {"\nRate %s: ❌ %s", "\n汇率 %s：❌ %s"},
		"health.check":     {"\n%s: %s", "\n%s：%s"},
		"ok":               {"ok ✅", "正常 ✅"},
		"n.paid":           {"💰 Order paid%s\nTrade: %s\nMerchant order: %s\nAmount: %s %s\nUSDT: %s\nChain: %s\nWallet: %s\nTx: %s", "💰 订单已支付%s\n交易号：%s\n商户订单号：%s\n金额：%s %s\nUSDT：%s\n链：%s\n收款钱包：%s\n交易哈希：%s"},
		"n.late":           {" (LATE: after expiry)", "（超时支付）"},
		"n.cbfail":         {"⚠️ Callback failed for good\nTrade: %s\nMerchant order: %s\nAttempts: %d\nLast answer: %s\nURL: %s\nResend with /resend %s", "⚠️ 回调最终失败\n交易号：%s\n商户订单号：%s\n尝试次数：%d\n最后结果：%s\n地址：%s\n重发：/resend %s"},
		"n.unmatched":      {"⚠️ Transfer matched no order", "⚠️ 转账未匹配到订单"},
		"n.late_paid":      {"⏰ Late payment accepted", "⏰ 超时支付已入账"},
		"n.late_only":      {"⏰ Late payment, recorded only (not marked paid)", "⏰ 超时支付，仅记录（订单未标记为已支付）"},
		"n.transfer":       {"%s\nChain: %s\nTo: %s\nFrom: %s\nAmount: %s USDT\nTx: %s\nTrade: %s\nNote: %s", "%s\n链：%s\n收款：%s\n付款：%s\n金额：%s USDT\n交易哈希：%s\n订单：%s\n说明：%s"},
		"n.lag":            {"🐢 %s watcher is %s behind (threshold %s)", "🐢 %s 扫块落后 %s（阈值 %s）"},
		"n.rpc":            {"🔌 %s RPC failing: %s", "🔌 %s RPC 异常：%s"},
		"n.chain_ok":       {"✅ %s watcher recovered", "✅ %s 扫块已恢复"},
		"n.rate":           {"💱 Exchange rate %s is stale: %s", "💱 汇率 %s 已过期：%s"},
		"n.rate_ok":        {"✅ Exchange rate %s is fresh again", "✅ 汇率 %s 已恢复"},
		"n.started":        {"🟢 Gateway started (instance %s, version %s)", "🟢 网关已启动（实例 %s，版本 %s）"},
		"n.stopping":       {"🔴 Gateway stopping (instance %s)", "🔴 网关正在停止（实例 %s）"},
		"lang.set":         {"Language: English", "语言：中文"},
		"lang.usage":       {"Usage: /lang en | zh", "用法：/lang en | zh"},
	}
}

// trL formats the text key in language l.
func (b *Bot) trL(l lang, key string, args ...any) string {
	t, ok := b.texts[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return t[l]
	}
	return fmt.Sprintf(t[l], args...)
}

// tr formats the text key in the language of manager uid.
func (b *Bot) tr(uid int64, key string, args ...any) string {
	return b.trL(b.langOf(uid), key, args...)
}

func (b *Bot) langOf(uid int64) lang {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.langs[uid]
}

// seen remembers the language a manager's Telegram app uses, unless they
// chose one with /lang.
func (b *Bot) seen(u User) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.chosen[u.ID] || u.LanguageCode == "" {
		return
	}
	b.langs[u.ID] = english
	if strings.HasPrefix(strings.ToLower(u.LanguageCode), "zh") {
		b.langs[u.ID] = chinese
	}
}

// loadLangs reads the languages managers chose with /lang.
func (b *Bot) loadLangs(ctx context.Context) {
	for _, uid := range b.managers {
		v, err := b.st.GetSetting(ctx, langSetting+strconv.FormatInt(uid, 10))
		if err != nil {
			continue
		}
		b.mu.Lock()
		b.langs[uid], b.chosen[uid] = parseLang(v), true
		b.mu.Unlock()
	}
}

func parseLang(s string) lang {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "zh") {
		return chinese
	}
	return english
}

// setLang serves /lang en|zh.
func (b *Bot) setLang(ctx context.Context, uid, chat int64, args string) {
	a := strings.ToLower(strings.TrimSpace(args))
	if a != "en" && a != "zh" {
		b.replyText(ctx, chat, b.tr(uid, "lang.usage"), nil)
		return
	}
	b.mu.Lock()
	b.langs[uid], b.chosen[uid] = parseLang(a), true
	b.mu.Unlock()
	if err := b.st.PutSetting(ctx, langSetting+strconv.FormatInt(uid, 10), a, b.now()); err != nil {
		b.log.Warn("telegram language not stored", zap.Error(err))
	}
	b.audit(ctx, uid, "lang", a, "")
	b.replyText(ctx, chat, b.tr(uid, "lang.set"), b.menuKeyboard(uid))
}
