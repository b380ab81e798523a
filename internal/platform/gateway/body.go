package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/apierr"
)

type tooLargeKey struct{}

// LimitBody refuses request bodies larger than max bytes with 413 and an AIP-193 body:
// at once when Content-Length says so, or when reading passes the limit.
func LimitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeTooLarge(w)
			return
		}
		exceeded := new(bool)
		r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), exceeded: exceeded}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tooLargeKey{}, exceeded)))
	})
}

// limitedBody notes when the limit was hit, because the gateway reports a failed read only
// as text.
type limitedBody struct {
	io.ReadCloser
	exceeded *bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		*b.exceeded = true
	}
	return n, err
}

func bodyTooLarge(r *http.Request) bool {
	exceeded, _ := r.Context().Value(tooLargeKey{}).(*bool)
	return exceeded != nil && *exceeded
}

func writeTooLarge(w http.ResponseWriter) {
	st, _ := apierr.Status(errs.New(errs.InvalidArgument, errs.ReasonRequestTooLarge,
		"the request body is too large"))
	WriteStatus(w, st, http.StatusRequestEntityTooLarge)
}

// SlowBody gives next's request up to upload to arrive, and its answer up to answer more to
// be written, from now: the server's own timeouts suit small requests, not a council's
// return uploaded over a slow link.
func SlowBody(upload, answer time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc, now := http.NewResponseController(w), time.Now()
		// A writer that cannot move its deadlines keeps the server's: no worse than before.
		_ = rc.SetReadDeadline(now.Add(upload))
		_ = rc.SetWriteDeadline(now.Add(upload + answer))
		next.ServeHTTP(w, r)
	})
}
