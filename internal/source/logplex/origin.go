package logplex

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// originIP returns the address a request came from: the peer address, or,
// when the peer is a trusted proxy, the rightmost X-Forwarded-For hop that
// is not a trusted proxy (every hop right of it was appended by a proxy we
// trust, so it is the one address we can believe). When every hop is
// trusted the leftmost is the origin; a hop that is not an IP address stops
// the walk at the last address that was one. The result is always a valid
// address or invalid (no peer address, as with some test requests), so
// nothing a client writes in X-Forwarded-For reaches the event verbatim.
func originIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseHostPort(r.RemoteAddr)
	if len(trusted) == 0 || !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer
	}
	values := r.Header.Values("X-Forwarded-For")
	origin := peer
	for i := len(values) - 1; i >= 0; i-- {
		hops := values[i]
		for hops != "" {
			var hop string
			if j := strings.LastIndexByte(hops, ','); j >= 0 {
				hop, hops = hops[j+1:], hops[:j]
			} else {
				hop, hops = hops, ""
			}
			hop = strings.TrimSpace(hop)
			if hop == "" {
				continue
			}
			addr := parseHop(hop)
			if !addr.IsValid() {
				return origin
			}
			origin = addr
			if !isTrusted(addr, trusted) {
				return origin
			}
		}
	}
	return origin
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseHostPort reads "ip:port" (as in http.Request.RemoteAddr) or a bare IP.
func parseHostPort(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return addr.Unmap()
}

// parseHop reads one X-Forwarded-For entry: an IP, an "ip:port", or a
// bracketed IPv6 address with or without port. Zones are refused.
func parseHop(s string) netip.Addr {
	addr := parseHostPort(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if !addr.IsValid() {
		addr = parseHostPort(s)
	}
	if addr.Zone() != "" {
		return netip.Addr{}
	}
	return addr
}
