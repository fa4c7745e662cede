package admin

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/epusdt/epusdt/internal/httpx"
	"github.com/epusdt/epusdt/internal/store"
)

// Volume is the paid volume of one chain and token.
type Volume struct {
	Chain         string `json:"chain"`
	TokenContract string `json:"token_contract"`
	Today         string `json:"today"`
	TodayCount    int    `json:"today_count"`
	Week          string `json:"week"`
	WeekCount     int    `json:"week_count"`
}

// RateView is the exchange rate in use and its age.
type RateView struct {
	Fiat       string    `json:"fiat"`
	Rate       string    `json:"rate"`
	UpdatedAt  time.Time `json:"updated_at"`
	AgeSeconds int64     `json:"age_seconds"`
	Error      string    `json:"error,omitempty"`
}

// Dashboard is the console's overview.
type Dashboard struct {
	Volume         []Volume       `json:"volume"`
	Orders         map[string]int `json:"orders_7d"`       // waiting, paid, expired (created in the last 7 days)
	ConversionRate string         `json:"conversion_rate"` // paid / (paid + expired), percent, 7 days
	Callbacks      map[string]int `json:"callbacks"`       // pending, failed, delivered, retrying
	Unmatched      int            `json:"unmatched_transfers_7d"`
	Chains         []ChainState   `json:"chains"`
	Rate           *RateView      `json:"rate,omitempty"`
	GeneratedAt    time.Time      `json:"generated_at"`
}

func (a *Admin) dashboard(ctx context.Context) (Dashboard, error) {
	now := a.now().UTC()
	today, week := now.Truncate(24*time.Hour), now.Add(-7*24*time.Hour)
	r := a.st.Read()
	d := Dashboard{GeneratedAt: now, Chains: []ChainState{}}
	var err error
	if d.Volume, err = a.volume(ctx, today, week); err != nil {
		return d, err
	}
	counts, err := r.OrderStatusCounts(ctx, week, now.Add(time.Second))
	if err != nil {
		return d, err
	}
	d.Orders = map[string]int{"waiting": counts[store.OrderWaiting], "paid": counts[store.OrderPaid], "expired": counts[store.OrderExpired]}
	if done := counts[store.OrderPaid] + counts[store.OrderExpired]; done > 0 {
		d.ConversionRate = decimal.NewFromInt(int64(counts[store.OrderPaid]) * 100).Div(decimal.NewFromInt(int64(done))).StringFixed(1)
	}
	if d.Callbacks, err = r.CallbackJobCounts(ctx); err != nil {
		return d, err
	}
	if _, d.Unmatched, err = r.SearchTransfers(ctx, store.TransferFilter{Match: store.MatchAttention, Since: week, Limit: 1}); err != nil {
		return d, err
	}
	if a.d.Chains != nil {
		d.Chains = a.d.Chains.States()
		sort.Slice(d.Chains, func(i, j int) bool { return d.Chains[i].Chain < d.Chains[j].Chain })
	}
	d.Rate = a.rateView(now)
	return d, nil
}

func (a *Admin) volume(ctx context.Context, today, week time.Time) ([]Volume, error) {
	paid, err := a.st.Read().PaidAmountsSince(ctx, week)
	if err != nil {
		return nil, err
	}
	type acc struct {
		today, week   decimal.Decimal
		nToday, nWeek int
	}
	sums := map[[2]string]*acc{}
	for _, p := range paid {
		amt, err := decimal.NewFromString(p.ActualAmount)
		if err != nil {
			continue
		}
		k := [2]string{p.Chain, p.TokenContract}
		if sums[k] == nil {
			sums[k] = &acc{}
		}
		s := sums[k]
		s.week, s.nWeek = s.week.Add(amt), s.nWeek+1
		if !p.PaidAt.Before(today) {
			s.today, s.nToday = s.today.Add(amt), s.nToday+1
		}
	}
	out := []Volume{}
	for k, s := range sums {
		out = append(out, Volume{Chain: k[0], TokenContract: k[1], Today: s.today.StringFixed(2), TodayCount: s.nToday,
			Week: s.week.StringFixed(2), WeekCount: s.nWeek})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Chain+out[i].TokenContract < out[j].Chain+out[j].TokenContract })
	return out, nil
}

func (a *Admin) rateView(now time.Time) *RateView {
	if a.d.Rates == nil {
		return nil
	}
	fiat := a.cfg.Orders.DefaultFiat
	rate, at, err := a.d.Rates.Rate(fiat)
	v := &RateView{Fiat: fiat}
	if err != nil {
		v.Error = err.Error()
		return v
	}
	v.Rate, v.UpdatedAt, v.AgeSeconds = rate.String(), at, int64(now.Sub(at)/time.Second)
	return v
}

func (a *Admin) handleDashboard(w http.ResponseWriter, r *http.Request, _ *session) error {
	d, err := a.dashboard(r.Context())
	if err != nil {
		return err
	}
	httpx.OK(w, r, d)
	return nil
}
