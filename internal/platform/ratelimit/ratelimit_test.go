package ratelimit

import (
	"fmt"
	"testing"
	"time"

	"github.com/carepath/carepath/internal/platform/principal"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBucketsRefillAndRefusalsCostNothing(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	l := New(Config{Principal: Limit{Rate: 1, Burst: 2}, Organisation: Limit{Rate: 1, Burst: 3}, Now: c.now})
	a := principal.Principal{Subject: "a", Organisation: "x"}
	b := principal.Principal{Subject: "b", Organisation: "x"}
	for i := range 2 {
		if _, _, ok := l.Allow(a); !ok {
			t.Fatalf("call %d of a refused within its burst", i+1)
		}
	}
	kind, wait, ok := l.Allow(a)
	if ok || kind != KindPrincipal || wait != time.Second {
		t.Fatalf("a's third call: %q %v %v, want refused by principal for 1s", kind, wait, ok)
	}
	// a's refusal took nothing from x: b has x's last token, then x is empty.
	if _, _, ok := l.Allow(b); !ok {
		t.Fatal("b refused although x had a token left")
	}
	if kind, _, ok := l.Allow(b); ok || kind != KindOrganisation {
		t.Fatalf("b's second call: %q %v, want refused by organisation", kind, ok)
	}
	c.t = c.t.Add(time.Second)
	if _, _, ok := l.Allow(a); !ok {
		t.Fatal("a refused a second later")
	}
}

func TestOffLetsEverythingThrough(t *testing.T) {
	l := New(Config{})
	for range 1000 {
		if _, _, ok := l.Allow(principal.Principal{Subject: "a", Organisation: "x"}); !ok {
			t.Fatal("refused with no limits")
		}
	}
	if l.Len() != 0 {
		t.Fatalf("%d buckets with no limits", l.Len())
	}
}

// Memory is bounded: a flood of distinct callers never holds more than MaxBuckets, and
// buckets idle long enough to be full are forgotten by the periodic sweep.
func TestBucketsAreBounded(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)}
	l := New(Config{Principal: Limit{Rate: 1, Burst: 5}, MaxBuckets: 100, Now: c.now})
	for i := range 1000 {
		l.Allow(principal.Principal{Subject: fmt.Sprint("p", i)})
		if l.Len() > 100 {
			t.Fatalf("%d buckets after %d callers, want at most 100", l.Len(), i+1)
		}
	}
	// The most recent caller keeps their (emptied) bucket though others were pushed out.
	last := principal.Principal{Subject: "p999"}
	for range 4 {
		l.Allow(last)
	}
	if _, _, ok := l.Allow(last); ok {
		t.Fatal("the most recent caller's bucket was forgotten while in use")
	}
	c.t = c.t.Add(2 * time.Minute)
	l.Allow(principal.Principal{Subject: "new"})
	if l.Len() != 1 {
		t.Fatalf("%d buckets after every old one filled up, want 1", l.Len())
	}
}
