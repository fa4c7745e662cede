// Package devclient calls devchain's control API (/control/…) over HTTP. It
// is separate from package devchain so clients (tests, cmd/loadgen) do not
// pull in the go-ethereum node.
package devclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Post sends in as JSON to base + "/control/" + path and decodes a 200
// answer into out (nil = ignore it). Any other status is an error carrying
// devchain's reason.
func Post(ctx context.Context, hc *http.Client, base, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/control/"+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("devchain %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("devchain %s: HTTP %d: %s", path, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}
