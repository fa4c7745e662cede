package admin

import (
	"math/big"
	"time"

	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/address"
	"github.com/epusdt/epusdt/internal/store"
)

// OrderView is an order as the admin API shows it.
type OrderView struct {
	TradeID            string     `json:"trade_id"`
	OrderID            string     `json:"order_id"`
	Chain              string     `json:"chain"`
	TradeType          string     `json:"trade_type"`
	TokenContract      string     `json:"token_contract"`
	Fiat               string     `json:"fiat"`
	Amount             string     `json:"amount"`
	Rate               string     `json:"rate"`
	ActualAmount       string     `json:"actual_amount"`
	Wallet             string     `json:"token"`
	Status             int        `json:"status"`
	StatusName         string     `json:"status_name"`
	NotifyURL          string     `json:"notify_url"`
	RedirectURL        string     `json:"redirect_url"`
	BlockTransactionID string     `json:"block_transaction_id"`
	ExplorerURL        string     `json:"explorer_url,omitempty"`
	PaidAt             *time.Time `json:"paid_at"`
	Late               bool       `json:"late"`
	Canceled           bool       `json:"canceled"`
	CallbackNum        int        `json:"callback_num"`
	CallbackConfirm    int        `json:"callback_confirm"`
	CreatedAt          time.Time  `json:"created_at"`
	ExpiresAt          time.Time  `json:"expires_at"`
}

// StatusName names an order status.
func StatusName(s int) string {
	switch s {
	case store.OrderWaiting:
		return "waiting"
	case store.OrderPaid:
		return "paid"
	case store.OrderExpired:
		return "expired"
	}
	return "unknown"
}

func viewOrder(o store.Order) OrderView {
	return OrderView{TradeID: o.TradeID, OrderID: o.OrderID, Chain: o.Chain, TradeType: o.TradeType,
		TokenContract: o.TokenContract, Fiat: o.Fiat, Amount: o.Amount, Rate: o.Rate, ActualAmount: o.ActualAmount,
		Wallet: o.Token, Status: o.Status, StatusName: StatusName(o.Status), NotifyURL: o.NotifyURL, RedirectURL: o.RedirectURL,
		BlockTransactionID: o.BlockTransactionID, ExplorerURL: ExplorerTx(o.Chain, o.BlockTransactionID), PaidAt: o.PaidAt,
		Late: o.Late, Canceled: o.Canceled, CallbackNum: o.CallbackNum, CallbackConfirm: o.CallbackConfirm,
		CreatedAt: o.CreatedAt, ExpiresAt: o.ExpiresAt}
}

// ExplorerTx links a transaction on the chain's public explorer ("" when
// unknown).
func ExplorerTx(chain, tx string) string {
	if tx == "" {
		return ""
	}
	switch chain {
	case address.Tron:
		return "https://tronscan.org/#/transaction/" + tx
	case address.Ethereum:
		return "https://etherscan.io/tx/" + tx
	case address.BSC:
		return "https://bscscan.com/tx/" + tx
	case address.Polygon:
		return "https://polygonscan.com/tx/" + tx
	}
	return ""
}

// TransferView is a stored transfer as the admin API shows it.
type TransferView struct {
	ID            int64     `json:"id"`
	Chain         string    `json:"chain"`
	TokenContract string    `json:"token_contract"`
	TxHash        string    `json:"tx_hash"`
	LogIndex      uint      `json:"log_index"`
	BlockNumber   uint64    `json:"block_number"`
	BlockTime     time.Time `json:"block_time"`
	From          string    `json:"from"`
	To            string    `json:"to"`
	Amount        string    `json:"amount"`
	AmountUnits   string    `json:"amount_units"`
	State         string    `json:"state"`
	MatchStatus   string    `json:"match_status"`
	TradeID       string    `json:"trade_id"`
	Note          string    `json:"note"`
	Attention     bool      `json:"attention"`
	ExplorerURL   string    `json:"explorer_url"`
	CreatedAt     time.Time `json:"created_at"`
}

func unitsAmount(u *big.Int, decimals int) string {
	if u == nil {
		return "0"
	}
	return decimal.NewFromBigInt(u, int32(-decimals)).String()
}

func viewTransfer(t store.Transfer) TransferView {
	units := "0"
	if t.AmountUnits != nil {
		units = t.AmountUnits.String()
	}
	att := t.MatchStatus == store.MatchUnmatched || t.MatchStatus == store.MatchLate || t.MatchStatus == store.MatchLateOnly
	return TransferView{ID: t.ID, Chain: t.Chain, TokenContract: t.TokenContract, TxHash: t.TxHash, LogIndex: t.LogIndex,
		BlockNumber: t.BlockNumber, BlockTime: t.BlockTime, From: t.From, To: t.To, Amount: unitsAmount(t.AmountUnits, t.Decimals),
		AmountUnits: units, State: t.State, MatchStatus: t.MatchStatus, TradeID: t.TradeID, Note: t.Note, Attention: att,
		ExplorerURL: ExplorerTx(t.Chain, t.TxHash), CreatedAt: t.CreatedAt}
}

// JobView is a callback job as the admin API shows it.
type JobView struct {
	ID            int64      `json:"id"`
	EventID       string     `json:"event_id"`
	TradeID       string     `json:"trade_id"`
	Kind          string     `json:"kind"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	MaxAttempts   int        `json:"max_attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastError     string     `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

func viewJob(j store.CallbackJob) JobView {
	return JobView{ID: j.ID, EventID: j.EventID, TradeID: j.TradeID, Kind: j.Kind, Status: j.Status, Attempts: j.Attempts,
		MaxAttempts: j.MaxAttempts, NextAttemptAt: j.NextAttemptAt, LastError: j.LastError, CreatedAt: j.CreatedAt,
		DeliveredAt: j.DeliveredAt}
}

// DeliveryView is one logged callback attempt.
type DeliveryView struct {
	ID         int64     `json:"id"`
	JobID      int64     `json:"job_id"`
	TradeID    string    `json:"trade_id"`
	Attempt    int       `json:"attempt"`
	URL        string    `json:"url"`
	HTTPStatus int       `json:"http_status"`
	DurationMS int64     `json:"duration_ms"`
	Response   string    `json:"response_body"`
	Error      string    `json:"error"`
	OK         bool      `json:"ok"`
	CreatedAt  time.Time `json:"created_at"`
}

func viewDelivery(d store.CallbackDelivery) DeliveryView {
	return DeliveryView{ID: d.ID, JobID: d.JobID, TradeID: d.TradeID, Attempt: d.Attempt, URL: d.URL, HTTPStatus: d.HTTPStatus,
		DurationMS: d.Duration.Milliseconds(), Response: d.ResponseBody, Error: d.Error, OK: d.Error == "", CreatedAt: d.CreatedAt}
}

// WalletView is a wallet with what it has received.
type WalletView struct {
	ID        int64      `json:"id"`
	Chain     string     `json:"chain"`
	Address   string     `json:"address"`
	Label     string     `json:"label"`
	Status    string     `json:"status"` // enabled, disabled, removed
	Received  string     `json:"received"`
	Transfers int        `json:"transfers"`
	CreatedAt time.Time  `json:"created_at"`
	DeletedAt *time.Time `json:"deleted_at"`
}

func walletStatus(w store.Wallet) string {
	switch {
	case w.DeletedAt != nil:
		return "removed"
	case w.Status == store.WalletEnabled:
		return "enabled"
	}
	return "disabled"
}
