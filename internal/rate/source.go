// Package rate owns exchange rates: fiat per USDT from public providers
// (OKX, CoinGecko) over HTTP, a background refresher that keeps the latest
// good rate per fiat, and the rules that make a rate usable: a forced rate
// from config, a maximum age, and an operator's percentage adjustment. It
// never makes a rate up: without a fresh one, Rate fails.
package rate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// Source is one rate provider.
type Source interface {
	// Name identifies the provider in logs and errors.
	Name() string
	// Fetch returns how many units of fiat (ISO code, upper case) one USDT
	// costs now.
	Fetch(ctx context.Context, fiat string) (decimal.Decimal, error)
}

// maxBody caps a provider answer; rate responses are small.
const maxBody = 1 << 20

// getJSON fetches url and decodes the JSON body into v with numbers kept as
// json.Number.
func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "epusdt-rate/1")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	dec := json.NewDecoder(io.LimitReader(resp.Body, maxBody))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// fillURL puts the fiat code into a configured URL's {fiat} placeholder, in
// the case the provider expects.
func fillURL(tmpl, fiat string) string {
	return strings.ReplaceAll(tmpl, "{fiat}", fiat)
}

// positive parses a provider's number text and insists on a positive value.
func positive(text string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(strings.TrimSpace(text))
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("price %q is not a number", text)
	}
	if !d.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("price %q is not positive", text)
	}
	return d, nil
}

// median returns the middle value (the lower of the two middle ones for an
// even count), so one outlier among the best offers cannot move the rate.
func median(ds []decimal.Decimal) decimal.Decimal {
	s := append([]decimal.Decimal(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i].LessThan(s[j]) })
	return s[(len(s)-1)/2]
}

// ErrNoPrice is returned when a provider answered without a usable price.
var ErrNoPrice = errors.New("no price in answer")
