package ratelimit

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/carepath/carepath/internal/platform/principal"
)

// BenchmarkBareLimiter is the reference: one golang.org/x/time/rate bucket, no lookup.
func BenchmarkBareLimiter(b *testing.B) {
	l := rate.NewLimiter(rate.Inf, 1)
	now := time.Unix(1_767_225_600, 0) // any instant: the bucket is unlimited
	for b.Loop() {
		l.AllowN(now, 1)
	}
}

// BenchmarkAllow is one call's cost with both limits on, over 1,000 callers of 10
// organisations, to compare with the reference in the same run.
func BenchmarkAllow(b *testing.B) {
	l := New(Config{Principal: Limit{Rate: 1e6, Burst: 1e6}, Organisation: Limit{Rate: 1e6, Burst: 1e6}})
	ps := make([]principal.Principal, 1000)
	for i := range ps {
		ps[i] = principal.Principal{Subject: fmt.Sprint("p", i), Organisation: fmt.Sprint("o", i%10)}
	}
	i := 0
	for b.Loop() {
		l.Allow(ps[i%len(ps)])
		i++
	}
}
