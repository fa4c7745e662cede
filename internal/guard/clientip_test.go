package guard

import (
	"net/http"
	"testing"
)

func TestClientIP(t *testing.T) {
	ips, err := NewClientIPs([]string{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::ffff:172.16.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer, xff, realIP, want string
		xffLines                      []string
	}{
		{name: "untrusted peer, headers ignored", peer: "203.0.113.5:4000", xff: "1.1.1.1", realIP: "2.2.2.2", want: "203.0.113.5"},
		{name: "trusted peer without headers", peer: "10.1.2.3:4000", want: "10.1.2.3"},
		{name: "trusted peer, one hop", peer: "10.1.2.3:4000", xff: "198.51.100.7", want: "198.51.100.7"},
		{name: "right-most untrusted hop wins over a forged left one", peer: "10.1.2.3:4000",
			xff: "6.6.6.6, 198.51.100.7, 10.9.9.9", want: "198.51.100.7"},
		{name: "several header lines are one list", peer: "192.0.2.1:80", xffLines: []string{"6.6.6.6", "198.51.100.8, 10.0.0.2"}, want: "198.51.100.8"},
		{name: "hop with port and IPv6 brackets", peer: "10.1.2.3:1", xff: "[2a00:1450::1]:443", want: "2a00:1450::1"},
		{name: "all hops trusted: the left-most", peer: "10.1.2.3:1", xff: "10.0.0.7, 10.0.0.8", want: "10.0.0.7"},
		{name: "garbage hop stops the walk", peer: "10.1.2.3:1", xff: "198.51.100.1, bogus, 10.0.0.8", want: "10.0.0.8"},
		{name: "X-Real-IP from a trusted proxy", peer: "10.1.2.3:1", realIP: "198.51.100.9", want: "198.51.100.9"},
		{name: "bad X-Real-IP falls back to the peer", peer: "10.1.2.3:1", realIP: "nope", want: "10.1.2.3"},
		{name: "IPv6 trusted peer", peer: "[2001:db8::5]:8080", xff: "198.51.100.3", want: "198.51.100.3"},
		{name: "IPv4-mapped peer matches an IPv4 entry", peer: "[::ffff:172.16.0.1]:80", xff: "198.51.100.4", want: "198.51.100.4"},
		{name: "IPv4-mapped client is reported as IPv4", peer: "[::ffff:203.0.113.9]:80", want: "203.0.113.9"},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		for _, l := range c.xffLines {
			r.Header.Add("X-Forwarded-For", l)
		}
		if c.realIP != "" {
			r.Header.Set("X-Real-IP", c.realIP)
		}
		if got := ips.ClientIP(r); got != c.want {
			t.Errorf("%s: ClientIP = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestNewClientIPsRejectsGarbage(t *testing.T) {
	if _, err := NewClientIPs([]string{"10.0.0.0/33"}); err == nil {
		t.Fatal("accepted 10.0.0.0/33")
	}
}

func TestLimitKeyGroupsIPv6By64(t *testing.T) {
	a, b := limitKey("2001:db8:1:2:aaaa::1"), limitKey("2001:db8:1:2:bbbb::2")
	if a != b || a != "ip:2001:db8:1:2::/64" {
		t.Errorf("IPv6 keys %q, %q; want both ip:2001:db8:1:2::/64", a, b)
	}
	if k := limitKey("198.51.100.7"); k != "ip:198.51.100.7" {
		t.Errorf("IPv4 key %q", k)
	}
}
