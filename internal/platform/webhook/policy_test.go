package webhook

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// fakeDNS replaces LookupNetIP for the test with a fixed table; other names do not resolve.
func fakeDNS(t *testing.T, table map[string]string) {
	t.Helper()
	saved := LookupNetIP
	t.Cleanup(func() { LookupNetIP = saved })
	LookupNetIP = func(_ context.Context, network, host string) ([]netip.Addr, error) {
		if network != "ip" {
			t.Errorf("LookupNetIP network = %q", network)
		}
		var addrs []netip.Addr
		for _, a := range strings.Fields(table[host]) {
			addrs = append(addrs, netip.MustParseAddr(a))
		}
		if len(addrs) == 0 {
			return nil, errors.New("no such host")
		}
		return addrs, nil
	}
}

func TestCheckURL(t *testing.T) {
	fakeDNS(t, map[string]string{
		"hooks.example.com":     "93.184.215.14 2606:2800:21f:cb07:6820:80da:af6b:8b2c",
		"localhost":             "127.0.0.1 ::1",
		"rebind.example.com":    "127.0.0.1",
		"mixed.example.com":     "93.184.215.14 10.0.0.7", // one bad address is enough
		"metadata.example.com":  "169.254.169.254",
		"mapped.example.com":    "::ffff:10.1.2.3",
		"sixtofour.example.com": "2002:a00:1::1",
	})
	ctx := context.Background()
	for _, tc := range []struct {
		url       string
		ok        bool // allowed in production
		malformed bool // refused even with allowPrivate
	}{
		{url: "https://hooks.example.com/carepath?token=abc", ok: true},
		{url: "https://hooks.example.com:8443/x", ok: true},
		{url: "https://93.184.215.14/hook", ok: true},
		{url: "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook", ok: true},
		{url: "https://64:ff9b::5db8:d70e/hook", malformed: true}, // unbracketed IPv6
		{url: "https://[64:ff9b::5db8:d70e]/hook"},                // NAT64, even of a public address
		{url: "https://198.18.0.1/hook"},                          // benchmarking
		{url: "https://[2002:7f00:1::]/hook"},                     // 6to4 wrapping 127.0.0.1
		{url: "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/"},  // Teredo
		{url: "https://[::ffff:93.184.215.14]/"},                  // IPv4-mapped, even public
		{url: "https://[::93.184.215.14]/"},                       // IPv4-compatible
		{url: "https://[2001:db8::1]/"},                           // documentation
		{url: "https://192.0.2.1/"},                               // documentation
		{url: "https://sixtofour.example.com/"},

		{url: "http://hooks.example.com/carepath"},
		{url: "https://127.0.0.1/"},
		{url: "https://127.0.0.1:8080/"},
		{url: "https://[::1]/"},
		{url: "https://10.1.2.3/"},
		{url: "https://172.16.0.1/"},
		{url: "https://172.31.255.254/"},
		{url: "https://192.168.1.1/"},
		{url: "https://169.254.169.254/latest/meta-data/"},
		{url: "https://[fe80::1]/"},
		{url: "https://[fe80::1%25eth0]/"},
		{url: "https://[fd00::1]/"},
		{url: "https://[fec0::1]/"},
		{url: "https://100.64.0.1/"},
		{url: "https://[::ffff:127.0.0.1]/"},
		{url: "https://[::ffff:169.254.169.254]/"},
		{url: "https://[64:ff9b::7f00:1]/"}, // NAT64 of 127.0.0.1
		{url: "https://0.0.0.0/"},
		{url: "https://[::]/"},
		{url: "https://224.0.0.1/"},
		{url: "https://255.255.255.255/"},
		{url: "https://2130706433/"},
		{url: "https://127.1/"},
		{url: "https://0x7f.0.0.1/"},
		{url: "https://localhost/"},
		{url: "https://rebind.example.com/"},
		{url: "https://mixed.example.com/"},
		{url: "https://metadata.example.com/"},
		{url: "https://mapped.example.com/"},
		{url: "https://nxdomain.example.com/"},

		{url: "https://user:pass@hooks.example.com/", malformed: true},
		{url: "https://user@hooks.example.com/", malformed: true},
		{url: "https://hooks.example.com/#frag", malformed: true},
		{url: "https://hooks.example.com/#", malformed: true},
		{url: "/relative/path", malformed: true},
		{url: "hooks.example.com/hook", malformed: true},
		{url: "https:opaque", malformed: true},
		{url: "https://:443/", malformed: true},
		{url: "ftp://hooks.example.com/", malformed: true},
		{url: "javascript:alert(1)", malformed: true},
		{url: "https://hooks.example.com/%zz", malformed: true},
		{url: "", malformed: true},
	} {
		err := CheckURL(ctx, tc.url, false)
		if (err == nil) != tc.ok {
			t.Errorf("CheckURL(%q, false) = %v, want ok=%v", tc.url, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "example.com") {
			t.Errorf("CheckURL(%q) error %q repeats the URL", tc.url, err)
		}
		if err := CheckURL(ctx, tc.url, true); (err == nil) == tc.malformed {
			t.Errorf("CheckURL(%q, true) = %v, want ok=%v", tc.url, err, !tc.malformed)
		}
	}
}

func TestCheckURLMessages(t *testing.T) {
	fakeDNS(t, map[string]string{"rebind.example.com": "127.0.0.1"})
	for url, want := range map[string]string{
		"http://hooks.example.com/":     "must use https",
		"https://rebind.example.com/":   "resolves to a private or special-purpose address",
		"https://169.254.169.254/":      "must not be a private or special-purpose address",
		"https://u:p@hooks.example.com": "must not contain a user name or password",
		"relative":                      "must be an absolute URL",
	} {
		if err := CheckURL(context.Background(), url, false); err == nil || err.Error() != want {
			t.Errorf("CheckURL(%q) = %v, want %q", url, err, want)
		}
	}
}

func TestRefusePrivate(t *testing.T) {
	for addr, refused := range map[string]bool{
		"93.184.215.14:443":                          false,
		"[2606:2800:21f::1]:443":                     false,
		"127.0.0.1:443":                              true,
		"[::1]:443":                                  true,
		"10.0.0.1:80":                                true,
		"169.254.169.254:80":                         true,
		"[::ffff:192.168.0.1]:443":                   true,
		"[fe80::1%eth0]:443":                         true,
		"100.100.100.100:443":                        true,
		"0.0.0.0:443":                                true,
		"not an address":                             true,
		"hooks.example.com:443":                      true, // Control only ever sees resolved addresses
		"[64:ff9b::a00:1]:443":                       true,
		"[64:ff9b::5db8:d70e]:443":                   true, // NAT64 of a public address: still an embedding
		"[2001:db8::1]:443":                          true, // documentation
		"[ff02::1]:443":                              true,
		"198.51.100.1:443":                           true,  // documentation
		"198.18.0.1:443":                             true,  // benchmarking
		"[2002:7f00:1::]:443":                        true,  // 6to4 of 127.0.0.1
		"[2001:0:4136:e378:8000:63bf:80ff:fffe]:443": true,  // Teredo
		"93.184.215.14:8443":                         false, // any port
		"172.32.0.1:443":                             false, // just outside 172.16.0.0/12
		"100.128.0.1:443":                            false, // just outside 100.64.0.0/10
		"[fc00::1]:443":                              true,
		"[::ffff:100.64.0.1]:443":                    true,
		"[::ffff:93.184.215.14]:443":                 true, // IPv4-mapped
	} {
		// The dialer names the address family it dials.
		network := "tcp4"
		if strings.HasPrefix(addr, "[") {
			network = "tcp6"
		}
		err := refusePrivate(network, addr, nil)
		if (err != nil) != refused {
			t.Errorf("refusePrivate(%q) = %v, want refused=%v", addr, err, refused)
		}
		if err != nil && !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("refusePrivate(%q) = %v, want ErrPrivateAddress", addr, err)
		}
	}
}
