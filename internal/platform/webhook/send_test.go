package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// capture is a receiver that records the last request it got.
type capture struct {
	header http.Header
	body   []byte
	status int
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.header = r.Header.Clone()
	c.body, _ = io.ReadAll(r.Body)
	if r.Method != http.MethodPost {
		c.status = http.StatusMethodNotAllowed
	}
	w.WriteHeader(c.status)
	io.WriteString(w, strings.Repeat("response body ", 1000))
}

func TestSendDeliversVerifiableRequest(t *testing.T) {
	rec := &capture{status: http.StatusNoContent}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	oldSecret, newSecret := NewSecret(), NewSecret()
	m := Message{
		URL:     srv.URL + "/hook?token=s3cr3t",
		ID:      "msg_01J0000000000000000000000",
		Time:    time.Now(), // receivers check the timestamp against their real clock
		Body:    []byte(`{"type":"reminder.due","timestamp":"2025-01-01T00:00:00Z","data":{}}`),
		Secrets: []string{oldSecret, newSecret},
	}
	res := Send(context.Background(), NewClient(5*time.Second, true), m)
	if !res.OK() || res.Gone() || res.Status != http.StatusNoContent || res.Err != nil {
		t.Fatalf("Send = %+v, want 204", res)
	}
	if d := res.Describe(); d != "HTTP 204" {
		t.Errorf("Describe = %q", d)
	}

	h := rec.header
	for name, want := range map[string]string{
		"Content-Type":      "application/json",
		"User-Agent":        "carepath-webhooks",
		"Webhook-Id":        m.ID,
		"Webhook-Timestamp": strconv.FormatInt(m.Time.Unix(), 10),
	} {
		if got := h.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if string(rec.body) != string(m.Body) {
		t.Errorf("body = %q", rec.body)
	}
	for _, s := range []string{oldSecret, newSecret} {
		if err := verifier(t, s).Verify(rec.body, h); err != nil {
			t.Errorf("reference library rejects the delivered request: %v", err)
		}
	}
	if err := verifier(t, NewSecret()).Verify(rec.body, h); err == nil {
		t.Error("delivered request verifies with an unrelated secret")
	}
}

func TestSendStatuses(t *testing.T) {
	for _, tc := range []struct {
		status   int
		ok, gone bool
	}{
		{200, true, false},
		{202, true, false},
		{299, true, false},
		{304, false, false},
		{400, false, false},
		{410, false, true},
		{429, false, false},
		{500, false, false},
	} {
		rec := &capture{status: tc.status}
		srv := httptest.NewServer(rec)
		res := Send(context.Background(), NewClient(5*time.Second, true),
			Message{URL: srv.URL, ID: "msg_1", Body: []byte("{}"), Secrets: []string{NewSecret()}})
		srv.Close()
		if res.Status != tc.status || res.OK() != tc.ok || res.Gone() != tc.gone || res.Err != nil {
			t.Errorf("status %d: Send = %+v, OK %v, Gone %v", tc.status, res, res.OK(), res.Gone())
		}
		if want := "HTTP " + strconv.Itoa(tc.status); res.Describe() != want {
			t.Errorf("status %d: Describe = %q", tc.status, res.Describe())
		}
		if rec.header.Get("Webhook-Timestamp") == "" {
			t.Errorf("status %d: no timestamp sent for a zero Message.Time", tc.status)
		}
	}
}

func TestSendRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	res := Send(context.Background(), NewClient(5*time.Second, true),
		Message{URL: srv.URL, ID: "msg_1", Secrets: []string{NewSecret()}})
	if res.Status != 503 || res.RetryAfter != 2*time.Minute || res.OK() {
		t.Fatalf("Send = %+v", res)
	}
	if d := res.Describe(); d != "HTTP 503" {
		t.Errorf("Describe = %q", d)
	}
}

func TestClientRefusesPrivateAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	m := Message{ID: "msg_1", Body: []byte("{}"), Secrets: []string{NewSecret()}}

	// Both the literal address and a name that resolves to it (as after DNS rebinding,
	// which CheckURL could not have seen) are refused when connecting.
	for _, url := range []string{srv.URL, "http://localhost:" + port + "/hook?token=s3cr3t"} {
		m.URL = url
		res := Send(context.Background(), NewClient(5*time.Second, false), m)
		if res.OK() || res.Status != 0 || !errors.Is(res.Err, ErrPrivateAddress) {
			t.Errorf("%s: Send = %+v, want refused", url, res)
		}
		if d := res.Describe(); d != "refused: private address" {
			t.Errorf("%s: Describe = %q", url, d)
		}
		if strings.Contains(res.Err.Error(), "s3cr3t") || strings.Contains(res.Err.Error(), "/hook") {
			t.Errorf("error %q contains the URL", res.Err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("server was reached %d times", n)
	}

	m.URL = srv.URL
	if res := Send(context.Background(), NewClient(5*time.Second, true), m); !res.OK() {
		t.Fatalf("allowPrivate: Send = %+v, want 200", res)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("hits = %d, want 1", n)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) { followed.Store(true) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res := Send(context.Background(), NewClient(5*time.Second, true),
		Message{URL: srv.URL + "/hook", ID: "msg_1", Secrets: []string{NewSecret()}})
	if res.OK() || res.Status != http.StatusFound || res.Err != nil || followed.Load() {
		t.Fatalf("Send = %+v, followed = %v; want a failed 302", res, followed.Load())
	}
	if d := res.Describe(); d != "HTTP 302" {
		t.Errorf("Describe = %q", d)
	}
}

func TestClientConfiguration(t *testing.T) {
	c := NewClient(7*time.Second, false)
	tr := c.Transport.(*http.Transport)
	if c.Timeout != 7*time.Second || tr.ResponseHeaderTimeout <= 0 || tr.ResponseHeaderTimeout > c.Timeout {
		t.Errorf("timeouts: total %v, response header %v", c.Timeout, tr.ResponseHeaderTimeout)
	}
	if tr.Proxy != nil {
		t.Error("transport uses a proxy")
	}
	if tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("TLS config = %+v", tr.TLSClientConfig)
	}
}

func TestDescribeFailures(t *testing.T) {
	m := Message{ID: "msg_1", Body: []byte("{}"), Secrets: []string{NewSecret()}}
	send := func(timeout time.Duration) string {
		t.Helper()
		res := Send(context.Background(), NewClient(timeout, true), m)
		if res.Err == nil || res.OK() || res.Status != 0 {
			t.Fatalf("%s: Send = %+v, want an error", m.URL, res)
		}
		return res.Describe()
	}

	// A port that nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.URL = "http://" + l.Addr().String() + "/"
	l.Close()
	if d := send(5 * time.Second); d != "connection refused" {
		t.Errorf("closed port: Describe = %q", d)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer slow.Close()
	defer close(release) // before Close, which waits for handlers
	m.URL = slow.URL
	if d := send(100 * time.Millisecond); d != "timeout" {
		t.Errorf("slow receiver: Describe = %q", d)
	}

	// The test server's certificate is not trusted by the client.
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	m.URL = tlsSrv.URL
	if d := send(5 * time.Second); d != "TLS certificate not valid" {
		t.Errorf("untrusted certificate: Describe = %q", d)
	}

	hangUp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer hangUp.Close()
	m.URL = hangUp.URL
	if d := send(5 * time.Second); d != "connection closed" {
		t.Errorf("hang-up: Describe = %q", d)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m.URL = slow.URL
	if d := Send(ctx, NewClient(5*time.Second, true), m).Describe(); d != "canceled" {
		t.Errorf("canceled: Describe = %q", d)
	}

	bad := m
	bad.Secrets = []string{"whsec_short"}
	if res := Send(context.Background(), NewClient(time.Second, true), bad); res.Err == nil || res.Describe() != "request failed" {
		t.Errorf("bad secret: Send = %+v, %q", res, res.Describe())
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                                 0,
		"0":                                0,
		"30":                               30 * time.Second,
		" 30":                              0, // not the spec's grammar
		"-5":                               0,
		"1.5":                              0,
		"soon":                             0,
		"86400":                            24 * time.Hour,
		"999999999999999999999":            0, // overflows uint64: unparseable
		"99999999999":                      24 * time.Hour,
		"Sat, 01 Mar 2025 12:05:00 GMT":    5 * time.Minute,
		"Saturday, 01-Mar-25 12:00:30 GMT": 30 * time.Second, // RFC 850
		"Sat Mar  1 13:00:00 2025":         time.Hour,        // asctime
		"Sat, 01 Mar 2025 11:00:00 GMT":    0,                // in the past
		"Mon, 01 Mar 2027 12:00:00 GMT":    24 * time.Hour,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}
