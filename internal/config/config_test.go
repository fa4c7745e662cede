package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeEnv(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultsAreValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.HTTPListen != ":8000" || c.DBType != "sqlite" || c.RuntimeRootPath != "./runtime" || !c.Tron.Enabled || c.Eth.Enabled {
		t.Fatalf("unexpected defaults %+v", c)
	}
}

func TestLoadFileAndEnv(t *testing.T) {
	p := writeEnv(t, `# comment
app_name = "My Shop"
export http_listen=127.0.0.1:9000
order_expiration_time=15
redis_idle_timeout=30
mysql_max_life_time=2
late_payment_grace=90
rate_refresh_interval=500ms
forced_usdt_rate=7.1234
tron_rpc_urls=http://a:1/jsonrpc, http://b:2/jsonrpc
bsc_settle=3
tg_manage=123, 456
api_auth_token=abc # not a comment inside
`)
	l, err := Load(p, []string{"EPUSDT_HTTP_LISTEN=:9100", "PATH=/bin", "EPUSDT_APP_DEBUG=true"})
	if err != nil {
		t.Fatal(err)
	}
	c := l.Config
	checks := map[string]bool{
		"app_name":       c.AppName == "My Shop",
		"env overrides":  c.HTTPListen == ":9100" && l.Source["http_listen"] == "env",
		"debug":          c.AppDebug,
		"minutes":        c.Orders.OrderExpiration() == 15*time.Minute,
		"redis seconds":  c.RedisIdleTimeout == 30,
		"hours":          c.MySQL.MaxLifeTime == 2*time.Hour,
		"bare seconds":   c.Orders.LatePaymentGrace == 90*time.Second,
		"go duration":    c.Rates.RefreshInterval == 500*time.Millisecond,
		"decimal":        c.Rates.ForcedUSDTRate.String() == "7.1234",
		"list":           len(c.Tron.RPCURLs) == 2 && c.Tron.RPCURLs[1] == "http://b:2/jsonrpc",
		"settle":         c.BSC.Settle == "3",
		"source default": l.Source["db_type"] == "default" && l.Source["app_name"] == ".env",
		"inline comment": c.APIAuthToken == "abc",
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: wrong value (config %+v)", name, c)
		}
	}
}

func TestInvalidValuesNameKeyAndValue(t *testing.T) {
	cases := map[string]string{
		"http_listen=nope":           `http_listen: invalid value "nope"`,
		"mysql_port=abc":             `mysql_port: invalid value "abc"`,
		"db_type=oracle":             `db_type: invalid value "oracle"`,
		"log_max_size=-1":            `log_max_size: invalid value "-1"`,
		"app_debug=maybe":            `app_debug: invalid value "maybe"`,
		"late_payment_grace=-5":      `late_payment_grace: invalid value "-5"`,
		"order_expiration_time=0":    `order_expiration_time: invalid value "0"`,
		"tron_settle=later":          `tron_settle: invalid value "later"`,
		"tron_settle=19":             `tron_settle: invalid value "19"`,
		"eth_settle=0":               `eth_settle: invalid value "0"`,
		"eth_rpc_urls=ftp://x":       `eth_rpc_urls: invalid value "ftp://x"`,
		"rate_limit_api=fast":        `rate_limit_api: invalid value "fast"`,
		"trusted_proxies=10.0.0.0/x": `trusted_proxies: invalid value "10.0.0.0/x"`,
		"tg_manage=bob":              `tg_manage: invalid value "bob"`,
		"amount_step=0":              `amount_step: invalid value "0"`,
		"no equals sign":             `expected KEY=VALUE`,
		"forced_usdt_rate=seven":     `forced_usdt_rate: invalid value "seven"`,
		"app_uri=example.com":        `app_uri: invalid value "example.com"`,
		"bsc_address_chunk=5000":     `bsc_address_chunk: invalid value "5000"`,
	}
	for line, want := range cases {
		_, err := Load(writeEnv(t, line+"\n"), nil)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v, want one line containing %q", line, err, want)
		}
	}
}

func TestSecretValuesAreMaskedInErrors(t *testing.T) {
	_, err := Load(writeEnv(t, "redis_passwd=x\n"), nil) // valid: just make sure it loads
	if err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.APIAuthToken = "verysecrettoken123"
	for _, line := range c.Effective() {
		if strings.Contains(line, "verysecrettoken123") {
			t.Fatalf("secret shown: %s", line)
		}
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	l, err := Load(writeEnv(t, "shiny_new_thing=1\n"), []string{"EPUSDT_ALSO_UNKNOWN=2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 2 || !strings.Contains(l.Warnings[0], "shiny_new_thing") {
		t.Fatalf("warnings %v", l.Warnings)
	}
}

func TestMissingExplicitFileFails(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.env"), nil); err == nil {
		t.Fatal("missing --config file accepted")
	}
}

func TestEnsureSecretsGeneratesOnceAndReuses(t *testing.T) {
	c := Default()
	c.RuntimeRootPath = t.TempDir()
	gen, err := c.EnsureSecrets()
	if err != nil || len(gen) != 2 || len(c.APIAuthToken) != 64 {
		t.Fatalf("%v %v", gen, err)
	}
	first := c.APIAuthToken
	c2 := Default()
	c2.RuntimeRootPath = c.RuntimeRootPath
	gen, err = c2.EnsureSecrets()
	if err != nil || len(gen) != 0 || c2.APIAuthToken != first {
		t.Fatalf("reuse: %v %v", gen, err)
	}
	st, _ := os.Stat(filepath.Join(c.RuntimeRootPath, "api_auth_token"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode())
	}
}

func TestParseLimit(t *testing.T) {
	n, w, err := ParseLimit("120/1m")
	if err != nil || n != 120 || w != time.Minute {
		t.Fatal(n, w, err)
	}
	if n, w, err = ParseLimit("5/s"); err != nil || n != 5 || w != time.Second {
		t.Fatal(n, w, err)
	}
	for _, bad := range []string{"", "x/1m", "0/1m", "5/0s", "5", "5/forever"} {
		if _, _, err := ParseLimit(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzLoad(f *testing.F) {
	for _, s := range []string{"app_name=x\n", "http_listen=:1\nmysql_port=3\n", "tron_settle=finalized\n", "a", "=\n", "late_payment_grace=1e9\n", "rate_limit_api=1/1s\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(t.TempDir(), ".env")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Load(p, nil)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		if err := l.Config.Validate(); err != nil {
			t.Fatalf("Load returned a config that does not validate: %v", err)
		}
	})
}
