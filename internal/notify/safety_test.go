package notify

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/epusdt/epusdt/internal/config"
	"github.com/epusdt/epusdt/internal/store"
	"github.com/epusdt/epusdt/internal/store/storetest"
)

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		url            string
		open, blocking bool // accepted with notify_block_private off / on
	}{
		{"https://shop.example.invalid/notify", true, true}, // does not resolve: checked at delivery
		{"http://8.8.8.8/notify", true, true},
		{"http://[2001:4860:4860::8888]:8080/n", true, true},
		{"ftp://8.8.8.8/notify", false, false},
		{"javascript:alert(1)", false, false},
		{"http:///nohost", false, false},
		{"http://169.254.169.254/latest/meta-data/", false, false},
		{"http://169.254.1.1:8080/", false, false},
		{"http://[fd00:ec2::254]/", false, false},
		{"http://100.100.100.200/latest/meta-data", false, false},
		{"http://[fe80::1]/", false, false},
		{"http://[::ffff:169.254.169.254]/", false, false},
		{"http://[64:ff9b::a9fe:a9fe]/", false, false}, // NAT64 form of 169.254.169.254
		{"http://0.0.0.0:8000/", false, false},
		{"http://127.0.0.1:8000/notify", true, false},
		{"http://localhost:8000/notify", true, false}, // resolved, then refused
		{"http://10.1.2.3/", true, false},
		{"http://172.20.0.5/", true, false},
		{"http://192.168.1.10/", true, false},
		{"http://100.64.0.1/", true, false},
		{"http://[::1]/", true, false},
		{"http://[fd12::1]/", true, false},
	}
	for _, c := range cases {
		for _, block := range []bool{false, true} {
			want := c.open
			if block {
				want = c.blocking
			}
			err := CheckURL(ctx, c.url, block)
			if (err == nil) != want {
				t.Errorf("CheckURL(%s, block_private=%v) = %v, want accepted=%v", c.url, block, err, want)
			}
			if err != nil && !errors.Is(err, ErrUnsafeURL) {
				t.Errorf("CheckURL(%s): %v does not wrap ErrUnsafeURL", c.url, err)
			}
		}
	}
}

// TestDeliveryRefusesUnsafeAddresses: the dialer checks every connection
// after DNS resolution, so neither a metadata address nor (with
// notify_block_private) a name resolving to loopback is ever contacted.
func TestDeliveryRefusesUnsafeAddresses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		clk := newClock()
		m := newMerchant(t, nil)
		u, _ := url.Parse(m.URL)
		viaName := "http://localhost:" + u.Port() + "/notify"
		for _, c := range []struct {
			trade, url, wantErr string
			block               bool
		}{
			{"T900", "http://169.254.169.254/latest/meta-data/", "link-local", false},
			{"T901", "http://[fd00:ec2::254]/", "link-local", false},
			{"T902", viaName, "loopback or private", true},
			{"T903", "gopher://" + u.Host + "/", "scheme", false},
		} {
			insertOrder(t, s, c.trade, c.url, "8", "1.11", clk.Now())
			job := enqueue(t, s, c.trade, store.CallbackKindPaid, 10, clk.Now())
			ws := &workerSetup{clock: clk, callback: config.Callback{MaxRetry: 10, Timeout: 2 * time.Second, BlockPrivate: c.block}}
			if n := newTestWorker(t, s, ws).runOnce(ctx); n != 1 {
				t.Fatalf("%s: claimed %d", c.trade, n)
			}
			ds := deliveries(t, s, c.trade)
			if len(ds) != 1 || ds[0].HTTPStatus != 0 || !strings.Contains(ds[0].Error, c.wantErr) {
				t.Fatalf("%s (%s): delivery %+v, want error with %q", c.trade, c.url, ds, c.wantErr)
			}
			if j := getJob(t, s, job.ID); j.Status != store.CallbackPending || j.Attempts != 1 {
				t.Fatalf("%s: job %+v", c.trade, j)
			}
		}
		if n := len(m.received()); n != 0 {
			t.Fatalf("merchant reached %d times through refused addresses", n)
		}
		// The same name is fine while private addresses are allowed.
		insertOrder(t, s, "T904", viaName, "8", "1.11", clk.Now())
		enqueue(t, s, "T904", store.CallbackKindPaid, 10, clk.Now())
		newTestWorker(t, s, &workerSetup{clock: clk}).runOnce(ctx)
		if n := len(m.received()); n != 1 {
			t.Fatalf("localhost with notify_block_private off: merchant got %d", n)
		}
	})
}
