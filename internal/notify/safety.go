package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrUnsafeURL is wrapped by every refusal of CheckURL and of the delivery
// dialer, so callers can tell a refused notify_url from other errors.
var ErrUnsafeURL = errors.New("unsafe notify_url")

// Always refused: link-local (which holds the 169.254.169.254 metadata
// service of most clouds), cloud metadata addresses elsewhere, "this
// network", multicast and broadcast.
var alwaysBlocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("100.100.100.200/32"), // Alibaba Cloud metadata
	netip.MustParsePrefix("192.0.0.192/32"),     // Oracle Cloud metadata (legacy)
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fd00:ec2::254/128"), // AWS metadata over IPv6
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("::/128"),
}

// Refused when notify_block_private is on: loopback, RFC 1918, shared
// address space (CGNAT) and IPv6 unique-local.
var privateBlocked = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// checkAddr refuses an address callbacks must never reach. IPv4-mapped and
// NAT64 forms are checked as the IPv4 address they carry.
func checkAddr(a netip.Addr, blockPrivate bool) error {
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, p := range alwaysBlocked {
		if p.Contains(a) {
			return fmt.Errorf("%w: address %s is link-local, metadata or not unicast", ErrUnsafeURL, a)
		}
	}
	if !blockPrivate {
		return nil
	}
	for _, p := range privateBlocked {
		if p.Contains(a) {
			return fmt.Errorf("%w: address %s is loopback or private (notify_block_private)", ErrUnsafeURL, a)
		}
	}
	return nil
}

// CheckURL validates a notify_url at order creation: http or https with a
// host, and no resolved address that deliveries would refuse. A host that
// does not resolve now is accepted (DNS may be down for a moment); every
// delivery checks again after resolution.
func CheckURL(ctx context.Context, raw string, blockPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: not a URL", ErrUnsafeURL)
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return fmt.Errorf("%w: scheme must be http or https", ErrUnsafeURL)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: no host", ErrUnsafeURL)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return checkAddr(a, blockPrivate)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if err := checkAddr(a, blockPrivate); err != nil {
			return fmt.Errorf("host %s: %w", host, err)
		}
	}
	return nil
}

// dialControl refuses, for every connection, the address the dialer is
// about to connect to — after DNS resolution, so a name that resolves to a
// metadata address is refused too.
func dialControl(blockPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot check dial address %q", ErrUnsafeURL, address)
		}
		return checkAddr(ap.Addr(), blockPrivate)
	}
}

// NewClient returns the HTTP client callbacks are sent with: no proxy from
// the environment (it would bypass the address check), the address check
// on every dial, redirects returned instead of followed, and a per-request
// timeout.
func NewClient(timeout time.Duration, blockPrivate bool, maxConnsPerHost int) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: dialControl(blockPrivate)}
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   max(maxConnsPerHost, 2),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport:     t,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
