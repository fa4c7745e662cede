package guard

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIPs finds the client address of a request. The socket peer is the
// client unless it is one of the trusted proxies; then X-Forwarded-For is
// read from the right, skipping trusted hops, and the first untrusted hop
// is the client (hops further left were written by the client itself and
// prove nothing). Without X-Forwarded-For, a trusted proxy's X-Real-IP is
// used.
type ClientIPs struct {
	trusted []netip.Prefix
}

// NewClientIPs parses the trusted proxies (IPs or CIDRs, as in
// trusted_proxies).
func NewClientIPs(trusted []string) (*ClientIPs, error) {
	c := &ClientIPs{}
	for _, s := range trusted {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			a = a.Unmap().WithZone("")
			c.trusted = append(c.trusted, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want an IP or CIDR", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		c.trusted = append(c.trusted, p.Masked())
	}
	return c, nil
}

// ClientIP returns the client address of r as a string.
func (c *ClientIPs) ClientIP(r *http.Request) string {
	peer, ok := parseHop(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !c.trusts(peer) {
		return peer.String()
	}
	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	if len(hops) == 0 {
		if a, ok := parseHop(r.Header.Get("X-Real-IP")); ok {
			return a.String()
		}
		return peer.String()
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // garbage: the hop to its right is the best we know
		}
		client = a
		if !c.trusts(a) {
			break
		}
	}
	return client.String()
}

func (c *ClientIPs) trusts(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func forwardedHops(values []string) []string {
	var hops []string
	for _, v := range values {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	return hops
}

// parseHop reads "1.2.3.4", "1.2.3.4:80", "::1", "[::1]:80" or "[::1]".
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			a, err = netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
			if err != nil {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	return a.Unmap().WithZone(""), true
}

// limitKey is the rate-limit key of a client address: IPv6 clients are
// counted per /64, the block one subscriber usually holds, so rotating
// addresses inside it does not escape the limit.
func limitKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() {
		return "ip:" + ip
	}
	p, _ := a.Prefix(64)
	return "ip:" + p.String()
}
