// Package webhook delivers outbound webhooks as the Standard Webhooks 1.0 specification
// describes, so receivers can verify them with any off-the-shelf library: each request
// carries webhook-id, webhook-timestamp and an HMAC-SHA256 webhook-signature made by the
// Standard Webhooks reference library.
//
// Because callers choose the endpoint, the package also guards against server-side
// request forgery: CheckURL vets a URL when it is registered, and the client from
// NewClient refuses private addresses again when it connects.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// Message is one delivery attempt.
type Message struct {
	URL string
	// ID is the same on every attempt, so the receiver can drop duplicates.
	ID string
	// Time is when this attempt is made (time.Now if zero); receivers reject
	// timestamps more than a few minutes off.
	Time    time.Time
	Body    []byte // JSON
	Secrets []string
}

// Result is the outcome of one attempt.
type Result struct {
	Status int // HTTP status, 0 if no response arrived
	// RetryAfter is the receiver's Retry-After, 0 if absent; capped at maxRetryAfter so
	// a receiver cannot park a delivery indefinitely.
	RetryAfter time.Duration
	Err        error // why no response arrived; never contains the URL
}

// responseLimit is how much of a response is read: receivers owe us only a status.
const responseLimit = 4 << 10

const maxRetryAfter = 24 * time.Hour

// Send makes one delivery attempt of m with client (see NewClient).
func Send(ctx context.Context, client *http.Client, m Message) Result {
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	sig, err := Sign(m.Secrets, m.ID, m.Time, m.Body)
	if err != nil {
		return Result{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL, bytes.NewReader(m.Body))
	if err != nil {
		return Result{Err: errors.New("webhook: invalid URL")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "carepath-webhooks")
	req.Header.Set("Webhook-Id", m.ID)
	req.Header.Set("Webhook-Timestamp", strconv.FormatInt(m.Time.Unix(), 10))
	req.Header.Set("Webhook-Signature", sig)

	resp, err := client.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which may hold the receiver's token.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return Result{Err: err}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, responseLimit))
	return Result{
		Status:     resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// OK reports whether the receiver accepted the message; only 2xx counts.
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Gone reports whether the receiver answered 410, asking us to stop sending to it.
func (r Result) Gone() bool { return r.Err == nil && r.Status == http.StatusGone }

// Describe returns a short outcome fit to store and show to the endpoint's owner. It
// never includes the URL or the response body.
func (r Result) Describe() string {
	err := r.Err
	if err == nil {
		if r.Status == 0 {
			return "no response"
		}
		return "HTTP " + strconv.Itoa(r.Status)
	}
	var netErr net.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.Is(err, ErrPrivateAddress):
		return "refused: private address"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "host not found"
		}
		return "DNS lookup failed"
	case errors.As(err, &certErr):
		return "TLS certificate not valid"
	case errors.As(err, &recordErr), errors.As(err, &alert):
		return "TLS handshake failed"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	return "request failed"
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		d = maxRetryAfter
		if n < uint64(maxRetryAfter/time.Second) {
			d = time.Duration(n) * time.Second
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
