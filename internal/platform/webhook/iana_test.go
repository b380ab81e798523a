package webhook

import (
	"context"
	"net/netip"
	"testing"
)

// The special-purpose address registries of IANA (iana-ipv4-special-registry and
// iana-ipv6-special-registry, as of 2025), with multicast, the deprecated site-local range
// and the deprecated IPv4-compatible form added. Every address in them must be refused.
var specialPurpose = []string{
	// IPv4
	"0.0.0.0/8",          // "this network"
	"0.0.0.0/32",         // "this host on this network"
	"10.0.0.0/8",         // private use
	"100.64.0.0/10",      // shared address space (carrier-grade NAT)
	"127.0.0.0/8",        // loopback
	"169.254.0.0/16",     // link local
	"172.16.0.0/12",      // private use
	"192.0.0.0/24",       // IETF protocol assignments
	"192.0.0.0/29",       // IPv4 service continuity prefix
	"192.0.0.8/32",       // IPv4 dummy address
	"192.0.0.9/32",       // port control protocol anycast
	"192.0.0.10/32",      // TURN anycast
	"192.0.0.170/32",     // NAT64/DNS64 discovery
	"192.0.0.171/32",     // NAT64/DNS64 discovery
	"192.0.2.0/24",       // documentation (TEST-NET-1)
	"192.31.196.0/24",    // AS112-v4
	"192.52.193.0/24",    // AMT
	"192.88.99.0/24",     // deprecated 6to4 relay anycast
	"192.88.99.2/32",     // 6a44 relay anycast
	"192.168.0.0/16",     // private use
	"192.175.48.0/24",    // direct delegation AS112
	"198.18.0.0/15",      // benchmarking
	"198.51.100.0/24",    // documentation (TEST-NET-2)
	"203.0.113.0/24",     // documentation (TEST-NET-3)
	"224.0.0.0/4",        // multicast
	"240.0.0.0/4",        // reserved
	"255.255.255.255/32", // limited broadcast
	// IPv6
	"::1/128",           // loopback
	"::/128",            // unspecified
	"::ffff:0:0/96",     // IPv4-mapped
	"::/96",             // IPv4-compatible (deprecated)
	"64:ff9b::/96",      // IPv4-IPv6 translation (NAT64)
	"64:ff9b:1::/48",    // local-use IPv4-IPv6 translation
	"100::/64",          // discard only
	"100:0:0:1::/64",    // dummy IPv6 prefix
	"2001::/23",         // IETF protocol assignments
	"2001::/32",         // Teredo
	"2001:1::1/128",     // port control protocol anycast
	"2001:1::2/128",     // TURN anycast
	"2001:1::3/128",     // DNS-SD service registration protocol anycast
	"2001:2::/48",       // benchmarking
	"2001:3::/32",       // AMT
	"2001:4:112::/48",   // AS112-v6
	"2001:10::/28",      // deprecated ORCHID
	"2001:20::/28",      // ORCHIDv2
	"2001:30::/28",      // drone remote ID entity tags
	"2001:db8::/32",     // documentation
	"2002::/16",         // 6to4
	"2620:4f:8000::/48", // direct delegation AS112
	"3fff::/20",         // documentation
	"5f00::/16",         // segment routing SIDs
	"fc00::/7",          // unique local
	"fe80::/10",         // link-local unicast
	"fec0::/10",         // site-local (deprecated)
	"ff00::/8",          // multicast
}

// samples are the first, a middle and the last address of p.
func samples(p netip.Prefix) []netip.Addr {
	first := p.Masked().Addr()
	b := first.AsSlice()
	last, mid := make([]byte, len(b)), make([]byte, len(b))
	copy(last, b)
	copy(mid, b)
	for i := p.Bits(); i < len(b)*8; i++ {
		last[i/8] |= 1 << (7 - i%8)
		if i == p.Bits() || i == len(b)*8-1 {
			mid[i/8] |= 1 << (7 - i%8) // the top and bottom host bits: an address inside
		}
	}
	l, _ := netip.AddrFromSlice(last)
	m, _ := netip.AddrFromSlice(mid)
	return []netip.Addr{first, m, l}
}

// embeddings are the IPv6 forms that carry the IPv4 address v4 inside them.
func embeddings(v4 netip.Addr) map[string]netip.Addr {
	a := v4.As4()
	six := func(b [16]byte) netip.Addr { return netip.AddrFrom16(b) }
	out := map[string]netip.Addr{}
	out["mapped"] = netip.AddrFrom16(v4.As16())
	out["compatible"] = six([16]byte{12: a[0], 13: a[1], 14: a[2], 15: a[3]})
	out["NAT64"] = six([16]byte{0: 0x00, 1: 0x64, 2: 0xff, 3: 0x9b, 12: a[0], 13: a[1], 14: a[2], 15: a[3]})
	out["local NAT64"] = six([16]byte{1: 0x64, 2: 0xff, 3: 0x9b, 5: 1, 9: a[0], 10: a[1], 11: a[2], 12: a[3]})
	out["6to4"] = six([16]byte{0: 0x20, 1: 0x02, 2: a[0], 3: a[1], 4: a[2], 5: a[3], 15: 1})
	// Teredo: 2001:0::/32, the server's IPv4 address, flags, and the client's port and
	// IPv4 address inverted.
	out["Teredo"] = six([16]byte{0: 0x20, 1: 0x01, 4: 0x41, 5: 0x36, 6: 0xe3, 7: 0x78, 8: 0x80,
		12: ^a[0], 13: ^a[1], 14: ^a[2], 15: ^a[3]})
	return out
}

func TestGuardRefusesEverySpecialPurposeRange(t *testing.T) {
	ctx := context.Background()
	for _, raw := range specialPurpose {
		p := netip.MustParsePrefix(raw)
		for _, a := range samples(p) {
			if isPublic(a) {
				t.Errorf("%s (in %s) is taken for public", a, p)
			}
			if err := CheckURL(ctx, "https://"+netip.AddrPortFrom(a, 443).String()+"/hook", false); err == nil {
				t.Errorf("CheckURL accepts %s (in %s)", a, p)
			}
			if err := refusePrivate(network(a), netip.AddrPortFrom(a, 443).String(), nil); err == nil {
				t.Errorf("the dialer connects to %s (in %s)", a, p)
			}
		}
	}
}

func TestGuardRefusesIPv6FormsEmbeddingIPv4(t *testing.T) {
	ctx := context.Background()
	// Public IPv4 addresses are refused too once wrapped: the wrapper is what is dialled,
	// and it may reach the internal network through a relay or a translator.
	for _, v4 := range []string{"127.0.0.1", "10.0.0.1", "169.254.169.254", "93.184.215.14", "8.8.8.8"} {
		for form, a := range embeddings(netip.MustParseAddr(v4)) {
			if isPublic(a) {
				t.Errorf("%s of %s (%s) is taken for public", form, v4, a)
			}
			url := "https://" + netip.AddrPortFrom(a, 443).String() + "/hook"
			if err := CheckURL(ctx, url, false); err == nil {
				t.Errorf("CheckURL accepts %s of %s (%s)", form, v4, url)
			}
		}
	}
	// The addresses of the issue, as found by the black-box test.
	for _, url := range []string{"https://198.18.0.1/", "https://[2002:7f00:1::]/",
		"https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/"} {
		if err := CheckURL(ctx, url, false); err == nil {
			t.Errorf("CheckURL accepts %s", url)
		}
	}
}

// The guard is not simply refusing everything.
func TestGuardAllowsPublicAddresses(t *testing.T) {
	for _, raw := range []string{"93.184.215.14", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1",
		"198.20.0.1", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "2a00:1450:4009:81f::200e", "2003::1"} {
		a := netip.MustParseAddr(raw)
		if !isPublic(a) {
			t.Errorf("%s is refused", a)
		}
		if err := refusePrivate(network(a), netip.AddrPortFrom(a, 8443).String(), nil); err != nil {
			t.Errorf("the dialer refuses %s: %v", a, err)
		}
	}
}

func network(a netip.Addr) string {
	if a.Is4() {
		return "tcp4"
	}
	return "tcp6"
}
