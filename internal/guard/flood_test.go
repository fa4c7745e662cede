//go:build linux

package guard

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkFlood starts the gateway (guard + check-status route, default
// limits) as a separate process, floods it with 20,000 requests from one
// client address at concurrency 64 while 32 ordinary clients (other
// addresses, each polling every 150 ms like open cashier pages) keep using
// it, and reports what fraction of the flood was refused, the ordinary
// clients' latency before and during the flood, and the gateway's CPU time
// and RSS. Run with:
//
//	go test -run '^$' -bench Flood -benchtime 1x ./internal/guard/
func BenchmarkFlood(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchFlood(b, "") })
	b.Run("redis", func(b *testing.B) { benchFlood(b, redisAddr(b)) })
}

const (
	floodRequests    = 20_000
	floodConcurrency = 64
	legitClients     = 32
	legitEvery       = 150 * time.Millisecond
)

type floodResult struct {
	floodOK, floodRefused, floodOther int64
	floodTime                         time.Duration
	base, during                      []time.Duration
	legitBad                          int64
}

func benchFlood(b *testing.B, redisAddr string) {
	base, stop, pid := startFloodServer(b, redisAddr)
	defer stop()
	b.ResetTimer()
	url := base + "/pay/check-status/T0123456789"
	var last floodResult
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		cpu0 := procCPU(b, pid)
		last = floodOnce(url, i)
		cpu = procCPU(b, pid) - cpu0
	}
	total := float64(last.floodOK + last.floodRefused + last.floodOther)
	b.ReportMetric(float64(last.floodRefused)/total, "refused_frac")
	b.ReportMetric(total/last.floodTime.Seconds(), "flood_req/s")
	b.ReportMetric(ms(pct(last.base, 50)), "legit_quiet_p50_ms")
	b.ReportMetric(ms(pct(last.base, 99)), "legit_quiet_p99_ms")
	b.ReportMetric(ms(pct(last.during, 50)), "legit_flood_p50_ms")
	b.ReportMetric(ms(pct(last.during, 99)), "legit_flood_p99_ms")
	b.ReportMetric(float64(len(last.during)), "legit_flood_reqs")
	b.ReportMetric(float64(last.legitBad), "legit_refused")
	b.ReportMetric(cpu.Seconds(), "srv_cpu_s")
	b.ReportMetric(procStatusMB(b, pid, "VmRSS"), "srv_rss_MB")
	b.ReportMetric(procStatusMB(b, pid, "VmHWM"), "srv_peak_rss_MB")
	if last.floodOther > 0 {
		b.Errorf("%d flood requests got neither 200 nor 429", last.floodOther)
	}
	if last.legitBad > 0 {
		b.Errorf("%d ordinary requests were refused or failed during the flood", last.legitBad)
	}
}

// floodOnce runs one quiet second of ordinary traffic, then the flood with
// ordinary traffic alongside. Addresses depend on iter so repeated
// iterations start with fresh budgets.
func floodOnce(url string, iter int) floodResult {
	var r floodResult
	legit := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: legitClients}, Timeout: 10 * time.Second}
	r.base = legitTraffic(legit, url, iter, 0, time.Second, &r.legitBad)

	done := make(chan struct{})
	var during []time.Duration
	var wg sync.WaitGroup
	wg.Go(func() { during = legitTrafficUntil(legit, url, iter, 1, done, &r.legitBad) })
	start := time.Now()
	flood(url, fmt.Sprintf("203.0.113.%d", iter%250+1), &r)
	r.floodTime = time.Since(start)
	close(done)
	wg.Wait()
	r.during = during
	return r
}

func flood(url, ip string, r *floodResult) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: floodConcurrency}, Timeout: 10 * time.Second}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range floodConcurrency {
		wg.Go(func() {
			for next.Add(1) <= floodRequests {
				switch code := do(client, url, ip); code {
				case http.StatusOK:
					atomic.AddInt64(&r.floodOK, 1)
				case http.StatusTooManyRequests:
					atomic.AddInt64(&r.floodRefused, 1)
				default:
					atomic.AddInt64(&r.floodOther, 1)
				}
			}
		})
	}
	wg.Wait()
}

func legitTraffic(c *http.Client, url string, iter, phase int, d time.Duration, bad *int64) []time.Duration {
	done := make(chan struct{})
	time.AfterFunc(d, func() { close(done) })
	return legitTrafficUntil(c, url, iter, phase, done, bad)
}

// legitTrafficUntil runs the ordinary clients until done and returns their
// latencies; non-200 answers are counted in bad.
func legitTrafficUntil(c *http.Client, url string, iter, phase int, done <-chan struct{}, bad *int64) []time.Duration {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for k := range legitClients {
		ip := fmt.Sprintf("198.51.%d.%d", 100+(iter*2+phase)%100, k+1)
		wg.Go(func() {
			t := time.NewTicker(legitEvery)
			defer t.Stop()
			for {
				start := time.Now()
				if do(c, url, ip) != http.StatusOK {
					atomic.AddInt64(bad, 1)
				}
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
				select {
				case <-done:
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
	return lat
}

// do sends one request as client ip (through the trusted proxy header) and
// returns the HTTP status, or -1 on a transport error.
func do(c *http.Client, url, ip string) int {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Forwarded-For", ip)
	resp, err := c.Do(req)
	if err != nil {
		return -1
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func startFloodServer(b *testing.B, redisAddr string) (base string, stop func(), pid int) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), floodServerEnv+"=1", floodRedisEnv+"="+redisAddr,
		floodPrefixEnv+"=epusdt:bench:"+randomHex(6)+":")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start flood server: %v", err)
	}
	stop = func() { _ = stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "LISTEN ")
	if err != nil || !ok {
		stop()
		b.Fatalf("flood server said %q, %v", line, err)
	}
	return "http://" + addr, stop, cmd.Process.Pid
}

// procCPU is the user+system CPU time of process pid (clock ticks of 10 ms).
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which ends with ')'): utime and stime
	// are the 12th and 13th.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func procStatusMB(b *testing.B, pid int, field string) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
