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

	"code.dny.dev/ssrf"
)

// LookupNetIP resolves host names for CheckURL. Tests replace it to avoid the network.
var LookupNetIP = net.DefaultResolver.LookupNetIP

// ErrPrivateAddress is the dial error when a webhook endpoint turns out to be on an
// address that is not on the public internet.
var ErrPrivateAddress = errors.New("webhook: refused to connect to a private or special-purpose address")

// guard knows every special-purpose range of the IANA IPv4 and IPv6 registries (loopback,
// private, link-local, shared, benchmarking, documentation, reserved, ...) and refuses
// every IPv6 address outside global unicast, which covers the forms that embed an IPv4
// address: mapped (::ffff:0:0/96), compatible (::/96) and NAT64 (64:ff9b::/96,
// 64:ff9b:1::/48). 6to4 (2002::/16) and Teredo (2001::/32) are in its deny list. It is
// generated from the registries, so it stays current as a dependency rather than a list
// kept by hand here. Endpoints may listen on any port.
var guard = ssrf.New(ssrf.WithAnyPort())

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
		if !isPublic(a) {
			return errors.New("must not be a private or special-purpose address")
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
		if !isPublic(a) {
			return errors.New("resolves to a private or special-purpose address")
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

// isPublic reports whether a webhook may be sent to a: a public unicast address in no
// special-purpose range.
func isPublic(a netip.Addr) bool {
	return a.IsValid() && guard.SafeAddr(a.WithZone("")) == nil
}

// refusePrivate is the dialer's Control hook: it sees the address actually being
// connected to, after DNS, so rebinding a name to an internal address does not help.
func refusePrivate(network, address string, c syscall.RawConn) error {
	if err := guard.Safe(network, address, c); err != nil {
		// The guard's message names the address; the caller stores only the outcome.
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
