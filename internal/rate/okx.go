package rate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/shopspring/decimal"
)

// OKX reads OKX's public prices. Two answer shapes are understood, picked by
// what the configured URL returns:
//
//   - C2C order books (/v3/c2c/tradingOrders/books?quoteCurrency={fiat}…):
//     {"code":0,"data":{"sell":[{"price":"7.12",…},…],"buy":[…]}}; the rate
//     is the median of the best five sell offers.
//   - Market ticker (/api/v5/market/ticker?instId=USDT-{fiat}):
//     {"code":"0","data":[{"instId":"USDT-USD","last":"1.0002",…}]}; the rate
//     is "last".
type OKX struct {
	client *http.Client
	url    string
}

// NewOKX returns the OKX source; url contains {fiat} where the fiat code goes.
func NewOKX(client *http.Client, url string) *OKX { return &OKX{client: client, url: url} }

// Name implements Source.
func (o *OKX) Name() string { return "okx" }

type okxAnswer struct {
	Code json.RawMessage `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

type okxBooks struct {
	Sell []struct {
		Price string `json:"price"`
	} `json:"sell"`
}

type okxTicker struct {
	Last string `json:"last"`
}

// Fetch implements Source.
func (o *OKX) Fetch(ctx context.Context, fiat string) (decimal.Decimal, error) {
	var a okxAnswer
	if err := getJSON(ctx, o.client, fillURL(o.url, fiat), &a); err != nil {
		return decimal.Decimal{}, fmt.Errorf("okx %s rate: %w", fiat, err)
	}
	if code := string(a.Code); code != "" && code != "0" && code != `"0"` {
		return decimal.Decimal{}, fmt.Errorf("okx %s rate: code %s: %s", fiat, code, a.Msg)
	}
	d, err := okxPrice(a.Data)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("okx %s rate: %w", fiat, err)
	}
	return d, nil
}

func okxPrice(data json.RawMessage) (decimal.Decimal, error) {
	var tickers []okxTicker
	if err := json.Unmarshal(data, &tickers); err == nil {
		if len(tickers) == 0 || tickers[0].Last == "" {
			return decimal.Decimal{}, ErrNoPrice
		}
		return positive(tickers[0].Last)
	}
	var books okxBooks
	if err := json.Unmarshal(data, &books); err != nil {
		return decimal.Decimal{}, fmt.Errorf("unexpected data: %w", err)
	}
	var prices []decimal.Decimal
	for _, s := range books.Sell {
		if len(prices) == 5 {
			break
		}
		p, err := positive(s.Price)
		if err != nil {
			return decimal.Decimal{}, err
		}
		prices = append(prices, p)
	}
	if len(prices) == 0 {
		return decimal.Decimal{}, ErrNoPrice
	}
	return median(prices), nil
}
