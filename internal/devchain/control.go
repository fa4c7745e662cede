package devchain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// Limits of the control API.
const (
	maxControlBody = 1 << 20
	maxMineBlocks  = 10_000
)

// controlMethod returns the HTTP method of a control endpoint, false for
// unknown paths.
func controlMethod(path string) (string, bool) {
	switch path {
	case "/control/transfer", "/control/batch-transfer", "/control/mine", "/control/reorg":
		return http.MethodPost, true
	case "/control/info":
		return http.MethodGet, true
	}
	return "", false
}

// controlHandler serves the JSON control API under /control/.
func (c *Chain) controlHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, ok := controlMethod(r.URL.Path)
		switch {
		case !ok:
			writeJSON(w, http.StatusNotFound, errorBody{Error: "path: no control endpoint " + r.URL.Path})
			return
		case r.Method != method:
			w.Header().Set("Allow", method)
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method: " + r.URL.Path + " wants " + method})
			return
		}
		var (
			out any
			err error
		)
		switch r.URL.Path {
		case "/control/transfer":
			out, err = c.controlTransfer(r)
		case "/control/batch-transfer":
			out, err = c.controlBatch(r)
		case "/control/mine":
			out, err = c.controlMine(r)
		case "/control/reorg":
			out, err = c.controlReorg(r)
		default:
			out = c.Info()
		}
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, out)
		case IsInputError(err):
			writeJSON(w, http.StatusBadRequest, errorBody{Error: err.Error()})
		default:
			writeJSON(w, http.StatusInternalServerError, errorBody{Error: err.Error()})
		}
	})
}

type errorBody struct {
	Error string `json:"error"`
}

type transferRequest struct {
	Token  string     `json:"token"`
	To     string     `json:"to"`
	Amount amountText `json:"amount"`
}

type batchRequest struct {
	Token     string `json:"token"`
	Transfers []struct {
		To     string     `json:"to"`
		Amount amountText `json:"amount"`
	} `json:"transfers"`
}

type txResponse struct {
	TxHash string `json:"tx_hash"`
	Block  uint64 `json:"block"`
}

type headResponse struct {
	Head uint64 `json:"head"`
}

func (c *Chain) controlTransfer(r *http.Request) (any, error) {
	var req transferRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Token == "" {
		return nil, badInput("token", "is required")
	}
	to, err := parseRecipient("to", req.To)
	if err != nil {
		return nil, err
	}
	if req.Amount == "" {
		return nil, badInput("amount", "is required")
	}
	hash, block, err := c.Transfer(r.Context(), req.Token, to, string(req.Amount))
	if err != nil {
		return nil, err
	}
	return txResponse{TxHash: hash.Hex(), Block: block}, nil
}

func (c *Chain) controlBatch(r *http.Request) (any, error) {
	var req batchRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Token == "" {
		return nil, badInput("token", "is required")
	}
	if len(req.Transfers) == 0 {
		return nil, badInput("transfers", "is required (a non-empty list)")
	}
	to := make([]common.Address, len(req.Transfers))
	amounts := make([]string, len(req.Transfers))
	for i, t := range req.Transfers {
		field := fmt.Sprintf("transfers[%d].", i)
		var err error
		if to[i], err = parseRecipient(field+"to", t.To); err != nil {
			return nil, err
		}
		if t.Amount == "" {
			return nil, badInput(field+"amount", "is required")
		}
		amounts[i] = string(t.Amount)
	}
	hash, block, err := c.BatchTransfer(r.Context(), req.Token, to, amounts)
	if err != nil {
		return nil, err
	}
	return txResponse{TxHash: hash.Hex(), Block: block}, nil
}

func (c *Chain) controlMine(r *http.Request) (any, error) {
	var req struct {
		Blocks *int `json:"blocks"`
	}
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	blocks := 1
	if req.Blocks != nil {
		blocks = *req.Blocks
	}
	if blocks < 1 || blocks > maxMineBlocks {
		return nil, badInput("blocks", "want 1 to %d, got %d", maxMineBlocks, blocks)
	}
	if err := c.Mine(r.Context(), blocks); err != nil {
		return nil, err
	}
	return headResponse{Head: c.Head()}, nil
}

func (c *Chain) controlReorg(r *http.Request) (any, error) {
	var req struct {
		Depth  *int   `json:"depth"`
		DropTx string `json:"drop_tx"`
	}
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Depth == nil {
		return nil, badInput("depth", "is required")
	}
	var drop *common.Hash
	if req.DropTx != "" {
		b, err := hexutil.Decode(req.DropTx)
		if err != nil || len(b) != common.HashLength {
			return nil, badInput("drop_tx", "want a 0x-prefixed 32-byte transaction hash, got %q", req.DropTx)
		}
		h := common.BytesToHash(b)
		drop = &h
	}
	if err := c.Reorg(r.Context(), *req.Depth, drop); err != nil {
		return nil, err
	}
	return headResponse{Head: c.Head()}, nil
}

// amountText accepts an amount as a JSON string ("7.91") or a JSON number
// (7.91), keeping the number's exact text: it is never a float.
type amountText string

// UnmarshalJSON implements json.Unmarshaler.
func (a *amountText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = amountText(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) || len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) {
		return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[string]()}
	}
	*a = amountText(b)
	return nil
}

// decodeBody reads one JSON object, rejecting unknown fields.
func decodeBody(r *http.Request, dst any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxControlBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return badInput(typeErr.Field, "has the wrong JSON type %s", typeErr.Value)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return badInput(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a known field")
		}
		return badInput("body", "invalid JSON: %v", err)
	}
	if dec.More() {
		return badInput("body", "trailing data after the JSON object")
	}
	return nil
}

// parseRecipient accepts a 0x EVM address (EIP-55 checked when mixed case)
// or a TRON base58 address "T…", mapped to its 20 bytes.
func parseRecipient(field, s string) (common.Address, error) {
	switch {
	case s == "":
		return common.Address{}, badInput(field, "is required")
	case strings.HasPrefix(s, "T"):
		addr, err := tronAddress(s)
		if err != nil {
			return common.Address{}, badInput(field, "%v", err)
		}
		return addr, nil
	case !strings.HasPrefix(s, "0x") || !common.IsHexAddress(s):
		return common.Address{}, badInput(field, "want a 0x EVM address or a TRON T… address, got %q", s)
	}
	addr := common.HexToAddress(s)
	body := s[2:]
	if body != strings.ToLower(body) && body != strings.ToUpper(body) && addr.Hex() != s {
		return common.Address{}, badInput(field, "%s fails its EIP-55 checksum", s)
	}
	return addr, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
