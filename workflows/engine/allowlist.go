package engine

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// Allowlist is COP_CALL_ALLOWLIST parsed. Its entries:
//
//   - "*": any host, as long as the addresses it resolves to are public;
//   - "host" or "host:port": that host on that port (a bare host means the
//     scheme's default port), at whatever address it resolves to;
//   - an IP address or CIDR prefix ("127.0.0.0/8", "::1"): addresses in
//     it, on any port, whichever host name led there;
//   - "http://host[:port]": that host, also over plain http where https is
//     otherwise required (webhook receivers under cop serve).
//
// Hosts are matched on the URL; addresses when the connection is dialled,
// after DNS, so a public name that resolves to 169.254.169.254 or to the
// private network is refused unless an entry names the host or the address.
type Allowlist struct {
	any      bool
	hosts    map[string]bool // "host:port"
	plain    map[string]bool // "host:port" an http:// entry names
	prefixes []netip.Prefix
}

// ParseAllowlist reads the comma-separated form; config has checked it.
func ParseAllowlist(s string) Allowlist {
	l := Allowlist{hosts: map[string]bool{}, plain: map[string]bool{}}
	for _, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if rest, ok := strings.CutPrefix(e, "http://"); ok {
			host := strings.TrimSuffix(rest, "/")
			if _, _, err := net.SplitHostPort(host); err != nil {
				host = net.JoinHostPort(strings.Trim(host, "[]"), "80")
			}
			l.hosts[host], l.plain[host] = true, true
			continue
		}
		e = strings.TrimSuffix(strings.TrimPrefix(e, "https://"), "/")
		switch {
		case e == "":
		case e == "*":
			l.any = true
		case strings.Contains(e, "/"):
			if p, err := netip.ParsePrefix(e); err == nil {
				l.prefixes = append(l.prefixes, p.Masked())
			}
		default:
			if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				l.prefixes = append(l.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			host, port, err := net.SplitHostPort(e)
			if err != nil {
				host, port = e, ""
			}
			if port == "" {
				// A bare host is its scheme's default port, whichever
				// scheme the call uses.
				l.hosts[net.JoinHostPort(host, "80")] = true
				l.hosts[net.JoinHostPort(host, "443")] = true
				continue
			}
			l.hosts[net.JoinHostPort(host, port)] = true
		}
	}
	return l
}

// Allows reports whether a call to u may be attempted: the dial checks the
// address it reaches.
func (l Allowlist) Allows(u *url.URL) bool {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	host := strings.ToLower(u.Hostname())
	if l.any || l.hosts[net.JoinHostPort(host, port)] {
		return true
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return l.inPrefix(a)
	}
	// A name may resolve into a listed prefix; the dial decides.
	return len(l.prefixes) > 0
}

// PlainHTTP reports whether an http:// entry names u's host and port, so
// u may be plain http where https is otherwise required.
func (l Allowlist) PlainHTTP(u *url.URL) bool {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return u.Scheme == "http" && l.plain[net.JoinHostPort(strings.ToLower(u.Hostname()), port)]
}

// AdmitsAddress reports whether a connection to a may be made: it is in a
// listed prefix, or public under "*". (A URL naming an address literally
// can be refused before anything is dialled.)
func (l Allowlist) AdmitsAddress(a netip.Addr) bool {
	a = a.Unmap()
	return l.inPrefix(a) || (l.any && public(a))
}

// Dial is the dialer an HTTP transport uses to reach only what the list
// admits, checked after DNS.
func (l Allowlist) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return l.dial(ctx, network, addr)
}

// names reports whether an entry names u's host itself ("*" names none):
// the test for where a secret may go.
func (l Allowlist) names(u *url.URL) bool {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	host := strings.ToLower(u.Hostname())
	if l.hosts[net.JoinHostPort(host, port)] {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && l.inPrefix(a)
}

func (l Allowlist) inPrefix(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range l.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// dial resolves addr's host and connects to the first of its addresses
// the list admits: any address for a host an entry names, one inside a
// listed prefix, or a public one under "*".
func (l Allowlist) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	named := l.hosts[net.JoinHostPort(strings.ToLower(host), port)]
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	var refused []string
	var d net.Dialer
	var lastErr error
	for _, ip := range ips {
		ip = ip.Unmap()
		if !named && !l.inPrefix(ip) && !(l.any && public(ip)) {
			refused = append(refused, ip.String())
			continue
		}
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, &AddressRefused{Host: host, Addresses: refused}
}

// AddressRefused is a call whose host resolved only to addresses the
// allow-list does not admit.
type AddressRefused struct {
	Host      string
	Addresses []string
}

func (e *AddressRefused) Error() string {
	return fmt.Sprintf("%s resolves to %s, which is not a public address; COP_CALL_ALLOWLIST must name the host or the address (such as %s)",
		e.Host, strings.Join(e.Addresses, ", "), suggestPrefix(e.Addresses))
}

func suggestPrefix(addrs []string) string {
	if len(addrs) == 0 {
		return "an address"
	}
	return addrs[0]
}

// nonPublic are the ranges "*" does not reach beyond the standard library's
// loopback, private, link-local, multicast and unspecified checks: shared
// address space (CGNAT), "this network", IETF protocol assignments,
// benchmarking, reserved, documentation, NAT64 and 6to4 (which can embed a
// private IPv4 address), and discard-only.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
}

// public reports whether a is an address on the public internet.
func public(a netip.Addr) bool {
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
