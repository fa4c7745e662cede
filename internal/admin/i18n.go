package admin

// zh translates the console's English texts to Chinese; a text missing
// here is shown in English.
var zh = map[string]string{
	"7 days": "7 天", "Account": "账户", "Action": "操作", "Actions": "操作", "Actor": "操作人",
	"Add this key to your authenticator app, then confirm with a code:": "请将此密钥添加到身份验证器应用，然后输入验证码确认：",
	"Add wallet": "添加钱包", "Address": "地址", "All": "全部", "Amount": "金额", "Attempts": "次数",
	"Attribute": "归属", "Attribute this transfer to the order?": "将此转账归属到该订单？", "Attribute to order": "归属到订单",
	"Audit log": "审计日志", "Audit logging is off (audit_log_enabled=false)": "审计日志已关闭（audit_log_enabled=false）",
	"Callback": "回调", "Callback attempts": "回调记录", "Callbacks": "回调", "Cancel order": "取消订单",
	"Cancel this order?": "确定取消此订单？", "Chain": "链", "Chain watchers": "链监听", "Change password": "修改密码",
	"Conversion rate": "支付转化率", "Created": "创建时间", "Current password": "当前密码", "Cursor": "游标",
	"Dashboard": "仪表盘", "Delivery log": "投递日志", "Detail": "详情", "Disable": "停用", "Disable TOTP": "关闭两步验证",
	"Effective configuration (read-only, secrets masked)": "生效配置（只读，密钥已隐藏）", "Enable": "启用",
	"Enable TOTP": "开启两步验证", "Error": "错误", "Expired orders (7 days)": "已过期订单（7 天）", "Expires": "过期时间",
	"Export CSV": "导出 CSV", "Failed / retrying callbacks": "失败 / 重试中的回调", "Filter": "筛选", "From": "从",
	"Head": "最新区块", "Kind": "类型", "Label": "备注", "Lag": "延迟", "Last error": "最近错误", "Last success": "最近成功",
	"Log in": "登录", "Log out": "退出", "Mark paid (verified on chain)": "手动补单（链上校验）",
	"Mark this order paid with the transaction?": "用此交易将订单标记为已支付？", "Match": "匹配", "Merchant API token": "商户 API 密钥",
	"New API token (shown once; update your shop's configuration now):": "新的 API 密钥（仅显示一次，请立即更新商城配置）：",
	"New password (at least 10 characters)":                             "新密码（至少 10 位）", "Next": "下一页", "Next attempt": "下次尝试",
	"No attempts yet": "暂无记录", "No callbacks": "暂无回调", "No chain watcher on this instance": "本实例没有链监听",
	"No entries": "暂无记录", "No orders match": "没有符合条件的订单", "No payments yet": "暂无支付", "No transfers match": "没有符合条件的转账",
	"No wallets yet": "暂无钱包", "Note": "说明", "Order": "订单", "Orders": "订单", "Paid orders (7 days)": "已支付订单（7 天）",
	"Paid volume": "支付金额", "Password": "密码", "Payments": "收款", "Previous": "上一页", "RPC errors": "RPC 错误",
	"Rate": "汇率", "Received": "已收款", "Remove": "删除", "Remove this wallet? Its history is kept.": "删除此钱包？历史记录会保留。",
	"Resend all failed": "重发全部失败回调", "Resend callback": "重发回调", "Resend every failed callback?": "重发所有失败的回调？",
	"Resend selected": "重发所选", "Response": "响应", "Rotate API token": "更换 API 密钥",
	"Rotate the API token? Every shop must be updated.": "更换 API 密钥？所有商城都需要更新。", "Save label": "保存备注",
	"Search": "搜索", "Set up TOTP": "设置两步验证", "Settings": "设置", "Settled": "已确认", "Source": "来源", "State": "状态",
	"Status": "状态", "TOTP code (if enabled)": "两步验证码（如已开启）", "Target": "对象", "Time": "时间", "Timeline": "时间线",
	"To": "到", "Today": "今日", "Token": "代币", "Transaction": "交易", "Transaction hash": "交易哈希", "Transfers": "转账",
	"Unmatched or late transfers (7 days)": "未匹配或迟到的转账（7 天）", "User name": "用户名", "Waiting orders (7 days)": "待支付订单（7 天）",
	"Wallet": "钱包", "Wallets": "钱包", "disabled": "已停用", "enabled": "已启用", "removed": "已删除", "failed": "失败",
	"orders": "个订单", "page": "第", "pending": "待投递", "delivered": "已送达", "rate": "汇率", "waiting": "待支付",
	"paid": "已支付", "expired": "已过期", "unknown": "未知", "created": "创建", "detected": "检测到转账", "settled": "区块确认",
	"canceled": "已取消", "callback": "回调", "attention": "需关注", "matched": "已匹配", "late": "迟到", "late_recorded": "迟到（仅记录）",
	"unmatched": "未匹配", "Callback resend queued": "已加入回调重发队列", "Order canceled": "订单已取消",
	"Order marked paid": "订单已标记为已支付", "Wallet added": "钱包已添加", "Wallet updated": "钱包已更新",
	"Transfer attributed": "转账已归属", "Callbacks queued": "回调已加入队列", "Password changed": "密码已修改",
	"TOTP enabled": "两步验证已开启", "TOTP disabled": "两步验证已关闭",
}

// translate returns key in the language lang.
func translate(lang, key string) string {
	if lang == "zh" {
		if v, ok := zh[key]; ok {
			return v
		}
	}
	return key
}
