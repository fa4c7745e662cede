package devchain

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// postControl sends body to the control endpoint and decodes the JSON reply.
func postControl(t *testing.T, c *Chain, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, c.RPCURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: reply %q is not a JSON object: %v", method, path, raw, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, out
}

func TestControlHappyPaths(t *testing.T) {
	c := startChain(t, Options{FinalityLag: 2})
	client := dial(t, c)

	status, info := postControl(t, c, http.MethodGet, "/control/info", "")
	want, _ := json.Marshal(c.Info())
	got, _ := json.Marshal(info)
	var wantMap map[string]any
	_ = json.Unmarshal(want, &wantMap)
	wantNorm, _ := json.Marshal(wantMap)
	if status != http.StatusOK || !bytes.Equal(got, wantNorm) {
		t.Errorf("info = %d %s, want %s", status, got, wantNorm)
	}
	if info["usdt6"] != USDT6Address || info["usdt18"] != USDT18Address || info["chain_id"] != float64(1337) {
		t.Errorf("info = %v", info)
	}

	tronTo := addr(0x71)
	status, out := postControl(t, c, http.MethodPost, "/control/transfer",
		`{"token":"usdt6","to":"`+encodeTron(tronTo)+`","amount":"7.91"}`)
	if status != http.StatusOK {
		t.Fatalf("transfer to a TRON address: %d %v", status, out)
	}
	block := uint64(out["block"].(float64))
	logs := logsOf(t, client, c.Token("usdt6"), block, block)
	if len(logs) != 1 || logs[0].TxHash.Hex() != out["tx_hash"] ||
		common.BytesToAddress(logs[0].Topics[2].Bytes()) != tronTo || logs[0].Data[len(logs[0].Data)-1] != 0x70 {
		t.Errorf("transfer %v gave logs %+v", out, logs)
	}

	// A JSON number amount is taken by its exact text.
	status, out = postControl(t, c, http.MethodPost, "/control/transfer",
		`{"token":"`+USDT18Address+`","to":"`+strings.ToLower(addr(0x72).Hex())+`","amount":0.5}`)
	if status != http.StatusOK {
		t.Fatalf("transfer with a number amount: %d %v", status, out)
	}

	status, out = postControl(t, c, http.MethodPost, "/control/batch-transfer",
		`{"token":"usdt18","transfers":[{"to":"`+addr(1).Hex()+`","amount":"1"},{"to":"`+encodeTron(addr(2))+`","amount":"2"}]}`)
	if status != http.StatusOK {
		t.Fatalf("batch-transfer: %d %v", status, out)
	}
	block = uint64(out["block"].(float64))
	if logs := logsOf(t, client, c.Token("usdt18"), block, block); len(logs) != 2 || logs[0].TxHash != logs[1].TxHash {
		t.Errorf("batch-transfer gave logs %+v", logs)
	}

	head := c.Head()
	status, out = postControl(t, c, http.MethodPost, "/control/mine", `{"blocks":3}`)
	if status != http.StatusOK || out["head"] != float64(head+3) {
		t.Errorf("mine 3 from %d: %d %v", head, status, out)
	}
	status, out = postControl(t, c, http.MethodPost, "/control/mine", `{}`)
	if status != http.StatusOK || out["head"] != float64(head+4) {
		t.Errorf("mine default: %d %v", status, out)
	}

	hash, dropBlock, err := c.Transfer(testCtx(t), "usdt6", addr(9), "9")
	if err != nil {
		t.Fatal(err)
	}
	status, out = postControl(t, c, http.MethodPost, "/control/reorg", `{"depth":2,"drop_tx":"`+hash.Hex()+`"}`)
	if status != http.StatusOK || out["head"] != float64(dropBlock+1) {
		t.Errorf("reorg: %d %v, want head %d", status, out, dropBlock+1)
	}
	for _, l := range logsOf(t, client, c.Token("usdt6"), 0, c.Head()) {
		if l.TxHash == hash {
			t.Errorf("reorg via control API left the dropped log %+v", l)
		}
	}
}

func TestControlRejectsBadInput(t *testing.T) {
	c := startChain(t, Options{})
	goodTo := addr(1).Hex()
	badChecksum := "0xb" + PayerAddress[3:] // PayerAddress starts 0xB…: one letter's case flipped
	for _, tc := range []struct {
		path, body, field string
	}{
		{"/control/transfer", `{"to":"` + goodTo + `","amount":"1"}`, "token"},
		{"/control/transfer", `{"token":"usdt9","to":"` + goodTo + `","amount":"1"}`, "token"},
		{"/control/transfer", `{"token":"usdt6","amount":"1"}`, "to"},
		{"/control/transfer", `{"token":"usdt6","to":"0x1234","amount":"1"}`, "to"},
		{"/control/transfer", `{"token":"usdt6","to":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u","amount":"1"}`, "to"},
		{"/control/transfer", `{"token":"usdt6","to":"0x0000000000000000000000000000000000000000","amount":"1"}`, "to"},
		{"/control/transfer", `{"token":"usdt6","to":"` + goodTo + `"}`, "amount"},
		{"/control/transfer", `{"token":"usdt6","to":"` + goodTo + `","amount":"1.0000001"}`, "amount"},
		{"/control/transfer", `{"token":"usdt6","to":"` + goodTo + `","amount":"abc"}`, "amount"},
		{"/control/transfer", `{"token":"usdt6","to":"` + goodTo + `","amount":true}`, "amount"},
		{"/control/transfer", `{"token":"usdt6","to":"` + goodTo + `","amount":"1","memo":"x"}`, "memo"},
		{"/control/transfer", `{"token":5}`, "token"},
		{"/control/transfer", `not json`, "body"},
		{"/control/transfer", `{"token":"usdt6"} {}`, "body"},
		{"/control/batch-transfer", `{"token":"usdt6","transfers":[]}`, "transfers"},
		{"/control/batch-transfer", `{"token":"usdt6","transfers":[{"to":"` + goodTo + `","amount":"1"},{"to":"x","amount":"1"}]}`, "transfers[1].to"},
		{"/control/batch-transfer", `{"token":"usdt6","transfers":[{"to":"` + goodTo + `","amount":"1.1234567"}]}`, "transfers[0].amount"},
		{"/control/mine", `{"blocks":0}`, "blocks"},
		{"/control/mine", `{"blocks":-2}`, "blocks"},
		{"/control/mine", `{"blocks":1000000}`, "blocks"},
		{"/control/mine", `{"blocks":"3"}`, "blocks"},
		{"/control/reorg", `{}`, "depth"},
		{"/control/reorg", `{"depth":0}`, "depth"},
		{"/control/reorg", `{"depth":99}`, "depth"},
		{"/control/reorg", `{"depth":1,"drop_tx":"0x12"}`, "drop_tx"},
		{"/control/reorg", `{"depth":1,"drop_tx":"0x` + strings.Repeat("ab", 32) + `"}`, "drop_tx"},
	} {
		status, out := postControl(t, c, http.MethodPost, tc.path, tc.body)
		msg, _ := out["error"].(string)
		if status != http.StatusBadRequest || !strings.HasPrefix(msg, tc.field+":") {
			t.Errorf("POST %s %s = %d %q, want 400 naming %s", tc.path, tc.body, status, msg, tc.field)
		}
	}
	if status, out := postControl(t, c, http.MethodPost, "/control/transfer",
		`{"token":"usdt6","to":"`+badChecksum+`","amount":"1"}`); status != http.StatusBadRequest {
		t.Errorf("bad EIP-55 checksum accepted: %d %v", status, out)
	}
	if status, _ := postControl(t, c, http.MethodGet, "/control/transfer", ""); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /control/transfer = %d, want 405", status)
	}
	if status, _ := postControl(t, c, http.MethodPost, "/control/nope", "{}"); status != http.StatusNotFound {
		t.Errorf("POST /control/nope = %d, want 404", status)
	}
	if c.Head() != 1 {
		t.Errorf("bad requests moved the head to %d", c.Head())
	}
}
