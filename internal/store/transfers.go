package store

import (
	"math/big"
	"time"
)

// Transfer states: seen on chain but not settled, settled by the chain's
// settle rule, or removed by a reorg before settling.
const (
	TransferDetected = "detected"
	TransferSettled  = "settled"
	TransferRemoved  = "removed"
)

// Transfer match results, set by payment once a transfer settles.
const (
	MatchNone      = ""              // not evaluated yet
	MatchPaid      = "matched"       // paid an order in time
	MatchLate      = "late"          // paid an order within the late grace
	MatchLateOnly  = "late_recorded" // late, recorded only (accept_late_payments=false)
	MatchUnmatched = "unmatched"     // matches no order; kept and visible
)

// Transfer is one token Transfer log to a watched wallet. (Chain, TxHash,
// LogIndex) is its identity. Addresses and the token contract are in the
// chain's canonical form (TRON base58, EVM EIP-55), the same form wallets
// and orders store, so matching is string equality.
type Transfer struct {
	ID            int64
	Chain         string
	TokenContract string
	TxHash        string
	LogIndex      uint
	BlockNumber   uint64
	BlockHash     string
	BlockTime     time.Time
	From          string
	To            string
	AmountUnits   *big.Int
	Decimals      int
	State         string
	MatchStatus   string
	TradeID       string
	Note          string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}
