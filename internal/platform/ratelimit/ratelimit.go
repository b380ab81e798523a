// Package ratelimit bounds how fast one caller, and one organisation, may call the API, so
// that a runaway partner script cannot take the whole service's capacity. Each principal
// and each organisation has a token bucket (golang.org/x/time/rate); a call takes a token
// from both. A refused call is RESOURCE_EXHAUSTED with a google.rpc.RetryInfo saying when a
// token will be there, which the REST gateway turns into 429 and Retry-After.
//
// Limits are per process: with several replicas behind a load balancer a caller gets up to
// the limit from each.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/principal"
)

// Limit is a sustained rate in calls a second and the burst allowed above it; a zero
// Rate is no limit.
type Limit struct {
	Rate  float64
	Burst int
}

// Off reports whether the limit does not apply.
func (l Limit) Off() bool { return l.Rate <= 0 }

// refill is how long an empty bucket takes to fill: after that long unused, a bucket is
// the same as a new one and can be forgotten.
func (l Limit) refill() time.Duration {
	return time.Duration(float64(max(l.Burst, 1)) / l.Rate * float64(time.Second))
}

// Config sets a Limiter's limits.
type Config struct {
	Principal    Limit
	Organisation Limit
	// MaxBuckets bounds memory: idle buckets are forgotten first, then the least recently
	// used (which only forgives a caller a little). Zero means DefaultMaxBuckets.
	MaxBuckets int
	// Now is the clock; nil is the real time. Tests move it instead of sleeping.
	Now func() time.Time
	// Refused, if set, is told of each refusal and the kind of limit reached (for metrics).
	Refused func(kind string)
}

// DefaultMaxBuckets is enough for every person and organisation of a large council many
// times over, at about 200 bytes a bucket.
const DefaultMaxBuckets = 100_000

// Limiter holds the buckets. Its methods are safe for concurrent use.
type Limiter struct {
	cfg Config

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim   *rate.Limiter
	limit Limit
	used  time.Time
}

// New returns a limiter; with both limits off it lets every call through.
func New(cfg Config) *Limiter {
	if cfg.MaxBuckets <= 0 {
		cfg.MaxBuckets = DefaultMaxBuckets
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Limiter{cfg: cfg, buckets: map[string]*bucket{}}
}

// Kinds of limit, as the ErrorInfo metadata names them.
const (
	KindPrincipal    = "principal"
	KindOrganisation = "organisation"
)

// Allow takes a token for one call of p, from p's bucket and p's organisation's. When
// either is empty it takes none and returns the kind of limit reached and how long until
// the call would be allowed.
func (l *Limiter) Allow(p principal.Principal) (kind string, wait time.Duration, ok bool) {
	if l == nil || l.cfg.Principal.Off() && l.cfg.Organisation.Off() {
		return "", 0, true
	}
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	var taken []*rate.Reservation
	for _, c := range []struct {
		kind, key string
		limit     Limit
	}{
		{KindPrincipal, "p\x00" + p.Subject, l.cfg.Principal},
		{KindOrganisation, "o\x00" + p.Organisation, l.cfg.Organisation},
	} {
		if c.limit.Off() || c.key[2:] == "" {
			continue
		}
		r := l.bucket(c.key, c.limit, now).lim.ReserveN(now, 1)
		if d := r.DelayFrom(now); !r.OK() || d > 0 {
			r.CancelAt(now)
			for _, t := range taken {
				t.CancelAt(now) // the call is refused: it costs the other bucket nothing
			}
			return c.kind, d, false
		}
		taken = append(taken, r)
	}
	return "", 0, true
}

func (l *Limiter) bucket(key string, limit Limit, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.cfg.MaxBuckets {
			l.evict(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(limit.Rate), max(limit.Burst, 1)), limit: limit}
		l.buckets[key] = b
	}
	b.used = now
	return b
}

// sweep forgets full buckets now and then, so that memory follows the callers of the last
// few minutes rather than every caller ever seen.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < time.Minute {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if now.Sub(b.used) >= b.limit.refill() {
			delete(l.buckets, k)
		}
	}
}

// evict makes room for a new bucket: full ones go, and if none is, the least recently used.
func (l *Limiter) evict(now time.Time) {
	var oldestKey string
	oldest := time.Time{}
	for k, b := range l.buckets {
		if now.Sub(b.used) >= b.limit.refill() {
			delete(l.buckets, k)
			continue
		}
		if oldestKey == "" || b.used.Before(oldest) {
			oldestKey, oldest = k, b.used
		}
	}
	if len(l.buckets) >= l.cfg.MaxBuckets {
		delete(l.buckets, oldestKey)
	}
}

// Len is how many buckets are held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// check refuses the call of the principal in ctx when a limit is reached. Calls with no
// principal (health, reflection: public methods) are never limited.
func (l *Limiter) check(ctx context.Context) error {
	p, ok := principal.From(ctx)
	if !ok {
		return nil
	}
	kind, wait, ok := l.Allow(p)
	if ok {
		return nil
	}
	if l.cfg.Refused != nil {
		l.cfg.Refused(kind)
	}
	e := errs.New(errs.ResourceExhausted, errs.ReasonResourceExhausted,
		"too many requests from this %s; retry after the delay given", kind).With("limit", kind)
	e.RetryDelay = time.Duration(math.Ceil(wait.Seconds())) * time.Second
	return e
}

// Guard is what authenticates calls and applies their access policy; the limiter runs
// inside it, once the principal is known.
type Guard interface {
	Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error)
	Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error
}

// Guarded returns g with the limiter applied to each call after g authenticated it. A
// stream takes one token when it opens.
func (l *Limiter) Guarded(g Guard) Guard { return &guarded{g: g, l: l} }

type guarded struct {
	g Guard
	l *Limiter
}

func (x *guarded) Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return x.g.Unary(ctx, req, info, func(ctx context.Context, req any) (any, error) {
		if err := x.l.check(ctx); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	})
}

func (x *guarded) Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return x.g.Stream(srv, ss, info, func(srv any, ss grpc.ServerStream) error {
		if err := x.l.check(ss.Context()); err != nil {
			return err
		}
		return handler(srv, ss)
	})
}
