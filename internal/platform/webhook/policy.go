package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// LookupNetIP resolves host names for CheckURL. Tests replace it to avoid the network.
var LookupNetIP = net.DefaultResolver.LookupNetIP

// ErrPrivateAddress is the dial error when a webhook endpoint turns out to be on a
// private, loopback or link-local address.
var ErrPrivateAddress = errors.New("webhook: refused to connect to a private, loopback or link-local address")

// CheckURL reports whether raw may be a webhook endpoint. Anyone who can register a
// webhook makes this server send requests, so endpoints must be public https URLs, not
// a way into the internal network or the cloud metadata service (SSRF). The error text
// is fit to show the caller. allowPrivate, for development, also allows http and
// private addresses.
//
// The check resolves the host name once; because DNS can change afterwards (rebinding),
// NewClient enforces the same rule again on every connection.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return errors.New("must be a valid URL")
	case !u.IsAbs() || u.Host == "":
		return errors.New("must be an absolute URL")
	case u.Scheme != "https" && !(u.Scheme == "http" && allowPrivate):
		return errors.New("must use https")
	case u.User != nil:
		return errors.New("must not contain a user name or password")
	case strings.Contains(raw, "#"):
		return errors.New("must not contain a fragment")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("must have a host")
	}
	if allowPrivate {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if blocked(a) {
			return errors.New("must not be a private, loopback or link-local address")
		}
		return nil
	}
	if numericHost(host) {
		// Forms such as 2130706433 or 0x7f.1 are IPv4 addresses to some resolvers.
		return errors.New("must have a valid host name")
	}
	addrs, err := LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return errors.New("host name does not resolve")
	}
	for _, a := range addrs {
		if blocked(a) {
			return errors.New("resolves to a private, loopback or link-local address")
		}
	}
	return nil
}

// numericHost reports whether host's last label is a number, which makes it an IPv4
// address in the WHATWG URL standard rather than a domain name.
func numericHost(host string) bool {
	host = strings.TrimSuffix(host, ".")
	last := host[strings.LastIndexByte(host, '.')+1:]
	if strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X") {
		return true
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

var (
	// nat64 embeds an IPv4 address in an IPv6 one; the embedded address is what is reached.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// Ranges that netip's predicates do not cover but that are not the public internet.
	otherBlocked = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),     // "this network"; 0.0.0.0 reaches the local host
		netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT, used internally by clouds
		netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and the broadcast address
		netip.MustParsePrefix("fec0::/10"),     // deprecated site-local
	}
)

// blocked reports whether a is not a public unicast address.
func blocked(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if nat64.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range otherBlocked {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// refusePrivate is the dialer's Control hook: it sees the address actually being
// connected to, after DNS, so rebinding a name to an internal address does not help.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || blocked(ap.Addr()) {
		return ErrPrivateAddress
	}
	return nil
}

// NewClient returns the HTTP client for delivering webhooks. It refuses private
// addresses at connect time (unless allowPrivate), ignores proxy settings from the
// environment, and does not follow redirects: a 3xx is a failed delivery, and following
// one would let an endpoint send us anywhere. timeout bounds each attempt as a whole.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = refusePrivate
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            d.DialContext,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    timeout,
			ResponseHeaderTimeout:  timeout,
			MaxResponseHeaderBytes: 64 << 10,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       timeout,
	}
}
