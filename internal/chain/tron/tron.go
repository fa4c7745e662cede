// Package tron holds what the chain watcher must know about TRON beyond
// the EVM-style JSON-RPC it shares with the other chains: TronGrid's API
// key header, the settle rule TRON supports (the solidified block, served
// as the "finalized" tag), the form of transaction ids, and the 20-byte
// hex form of addresses on /jsonrpc (Base58Check "T…" in config and in the
// database; 20 bytes without TRON's 0x41 version byte on the wire).
package tron

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/epusdt/epusdt/internal/address"
)

// APIKeyHeader is the header TronGrid reads its API key from.
const APIKeyHeader = "TRON-PRO-API-KEY"

// RPCHeader returns the headers to send to TRON RPC URLs: the API key
// when one is configured, nothing otherwise.
func RPCHeader(apiKey string) http.Header {
	h := http.Header{}
	if apiKey != "" {
		h.Set(APIKeyHeader, apiKey)
	}
	return h
}

// CheckSettle refuses a settle rule TRON's JSON-RPC cannot serve: TRON
// settles on its solidified block, the "finalized" tag.
func CheckSettle(rule string) error {
	if rule != "finalized" {
		return fmt.Errorf("tron_settle: TRON settles on its solidified block; want finalized, got %q", rule)
	}
	return nil
}

// TxID turns a JSON-RPC transaction hash ("0x" + 64 hex) into the form
// TRON wallets and explorers show: 64 lower-case hex digits, no prefix.
func TxID(rpcHash string) string {
	return strings.TrimPrefix(strings.ToLower(rpcHash), "0x")
}

// WireAddress returns the 20 bytes TRON's JSON-RPC uses for a Base58Check
// address (the 0x41 version byte dropped).
func WireAddress(base58 string) ([20]byte, error) {
	return address.Bytes(address.Tron, base58)
}

// FromWire returns the Base58Check form of 20 bytes seen on JSON-RPC.
func FromWire(b [20]byte) string { return address.EncodeTron(b) }
