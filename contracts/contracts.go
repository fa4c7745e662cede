// Package contracts owns the Solidity sources of EPUSDT's test contracts and
// their compiled artifacts (out/*.bin, out/*.abi), embedded so that building
// Go never needs a Solidity compiler. Rebuild the artifacts with build.sh
// after editing a .sol file.
package contracts

import (
	_ "embed" // artifacts are embedded below
	"encoding/hex"
	"fmt"
	"strings"
)

//go:embed out/TestToken.bin
var testTokenBin string

//go:embed out/TestToken.abi
var testTokenABI string

// TestTokenABI returns the JSON ABI of TestToken, the minimal ERC-20 with
// batchTransfer that devchain deploys as its USDT stand-ins.
func TestTokenABI() string { return testTokenABI }

// TestTokenBytecode returns TestToken's creation bytecode (constructor
// arguments not included: name, symbol, decimals, supply).
func TestTokenBytecode() ([]byte, error) {
	code, err := hex.DecodeString(strings.TrimSpace(testTokenBin))
	if err != nil {
		return nil, fmt.Errorf("decode embedded TestToken bytecode: %w", err)
	}
	return code, nil
}
