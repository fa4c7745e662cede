package rate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/shopspring/decimal"
)

// CoinGecko reads CoinGecko's simple price API
// (/api/v3/simple/price?ids=tether&vs_currencies={fiat}), which answers
// {"tether":{"cny":7.12}} with the fiat code in lower case.
type CoinGecko struct {
	client *http.Client
	url    string
}

// NewCoinGecko returns the CoinGecko source; url contains {fiat} where the
// (lower-case) fiat code goes.
func NewCoinGecko(client *http.Client, url string) *CoinGecko {
	return &CoinGecko{client: client, url: url}
}

// Name implements Source.
func (c *CoinGecko) Name() string { return "coingecko" }

// Fetch implements Source.
func (c *CoinGecko) Fetch(ctx context.Context, fiat string) (decimal.Decimal, error) {
	key := strings.ToLower(fiat)
	var a map[string]map[string]json.Number
	if err := getJSON(ctx, c.client, fillURL(c.url, key), &a); err != nil {
		return decimal.Decimal{}, fmt.Errorf("coingecko %s rate: %w", fiat, err)
	}
	n, ok := a["tether"][key]
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("coingecko %s rate: %w", fiat, ErrNoPrice)
	}
	d, err := positive(string(n))
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("coingecko %s rate: %w", fiat, err)
	}
	return d, nil
}
