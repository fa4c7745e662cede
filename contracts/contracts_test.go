package contracts

import (
	"encoding/json"
	"testing"
)

func TestArtifactsDecode(t *testing.T) {
	code, err := TestTokenBytecode()
	if err != nil {
		t.Fatal(err)
	}
	if len(code) < 100 {
		t.Fatalf("bytecode too short: %d bytes", len(code))
	}
	var entries []struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(TestTokenABI()), &entries); err != nil {
		t.Fatalf("ABI is not JSON: %v", err)
	}
	want := map[string]bool{"transfer": false, "transferFrom": false, "approve": false,
		"allowance": false, "balanceOf": false, "totalSupply": false, "decimals": false,
		"batchTransfer": false, "Transfer": false, "Approval": false}
	for _, e := range entries {
		if _, ok := want[e.Name]; ok {
			want[e.Name] = true
		}
	}
	for name, seen := range want {
		if !seen {
			t.Errorf("ABI lacks %s", name)
		}
	}
}
