package access

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/testclock"
)

// clock is the real time moved on by the test, for token lifetimes and the cache, so that
// a test passes a TTL or an expiry without sleeping.
type clock struct{ ahead atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.ahead.Load())) } // token lifetimes: the real clock
func (c *clock) advance(d time.Duration) { c.ahead.Add(int64(d)) }

// countingVerifier counts the tokens it verifies.
type countingVerifier struct {
	authn.Verifier
	n atomic.Int64
}

func (v *countingVerifier) Verify(ctx context.Context, token string) (authn.Claims, error) {
	v.n.Add(1)
	return v.Verifier.Verify(ctx, token)
}

// countingStore counts transactions.
type countingStore struct {
	store.Store
	n atomic.Int64
}

func (s *countingStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	s.n.Add(1)
	return s.Store.InTx(ctx, fn)
}

type fixture struct {
	a        *Authenticator
	store    *countingStore
	verifier *countingVerifier
	clock    *clock
}

const gatewaySecret = "the-gateway's-secret"

func newFixture(t *testing.T, cache CacheConfig) fixture {
	t.Helper()
	s := memory.New()
	now := testclock.Now()
	if err := s.InTx(context.Background(), func(tx store.Tx) error {
		return demo.LoadAccess(context.Background(), tx, civil.Today(now), now)
	}); err != nil {
		t.Fatal(err)
	}
	f := fixture{store: &countingStore{Store: s}, clock: &clock{}}
	f.verifier = &countingVerifier{Verifier: authn.DevVerifier(f.clock.now)}
	cache.Now = f.clock.now
	f.a = NewAuthenticator(f.store, f.verifier, gatewaySecret, cache, testclock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return f
}

func (f fixture) token(t *testing.T, person string, ttl time.Duration) string {
	t.Helper()
	token, err := authn.DevToken(person, ttl, f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// call makes a call to ListPeople (administrators only) from address with the token, and
// returns the principal the handler saw.
func (f fixture) call(token, address string) (principal.Principal, error) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(address), Port: 40000}})
	var seen principal.Principal
	_, err := f.a.Unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/carepath.v1.AccessService/ListPeople"},
		func(ctx context.Context, _ any) (any, error) { seen, _ = principal.From(ctx); return nil, nil })
	return seen, err
}

// A token is verified, and its person looked up, once: later calls take both from the
// cache, each with its own client address.
func TestTokenResolvedOnce(t *testing.T) {
	f := newFixture(t, CacheConfig{TTL: time.Minute})
	token := f.token(t, "ada-admin", time.Hour)
	for i, address := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		p, err := f.call(token, address)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if p.Subject != "ada-admin" || p.Organisation != demo.CouncilID || !p.Has(Admin) || p.ClientAddress != address {
			t.Fatalf("call %d: principal %+v", i, p)
		}
	}
	if v, tx := f.verifier.n.Load(), f.store.n.Load(); v != 1 || tx != 1 {
		t.Fatalf("3 calls verified the token %d times in %d transactions, want once in 1", v, tx)
	}

	// Another token of the same person is verified on its own.
	if _, err := f.call(f.token(t, "ada-admin", time.Hour), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if v := f.verifier.n.Load(); v != 2 {
		t.Fatalf("a second token: %d verifications in all, want 2", v)
	}

	// After the TTL the caller is looked up again.
	f.clock.advance(time.Minute)
	if _, err := f.call(token, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if v := f.verifier.n.Load(); v != 3 {
		t.Fatalf("after the TTL: %d verifications in all, want 3", v)
	}
}

// With no TTL nothing is cached.
func TestCacheOff(t *testing.T) {
	f := newFixture(t, CacheConfig{})
	token := f.token(t, "ada-admin", time.Hour)
	for range 3 {
		if _, err := f.call(token, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	if v := f.verifier.n.Load(); v != 3 {
		t.Fatalf("%d verifications for 3 calls, want 3", v)
	}
}

// A token past its expiry is refused though its principal was cached for longer.
func TestCachedTokenExpires(t *testing.T) {
	f := newFixture(t, CacheConfig{TTL: 5 * time.Minute})
	token := f.token(t, "ada-admin", 2*time.Minute)
	if _, err := f.call(token, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(2*time.Minute + 61*time.Second) // past "exp" and the verifier's 60 s of skew
	_, err := f.call(token, "192.0.2.1")
	if errs.KindOf(err) != errs.Unauthenticated {
		t.Fatalf("expired token: %v, want UNAUTHENTICATED", err)
	}
}

// Disabling a person, or changing their roles, through the watched store applies to their
// next call; a change that does not go through it waits for the TTL.
func TestWatchedChangesApplyAtOnce(t *testing.T) {
	f := newFixture(t, CacheConfig{TTL: 5 * time.Minute})
	ctx := context.Background()
	watched := f.a.Watch(f.store)
	token := f.token(t, "dara-admin", time.Hour)
	if _, err := f.call(token, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	update := func(s store.Store, change func(*domain.Person)) {
		t.Helper()
		if err := s.InTx(ctx, func(tx store.Tx) error {
			p, err := tx.GetPerson(ctx, "dara-admin")
			if err != nil {
				return err
			}
			next := p
			change(&next)
			_, err = tx.UpdatePerson(ctx, next, p.Revision)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}

	// The control: a change behind the cache's back is not seen until the TTL.
	update(f.store, func(p *domain.Person) { p.DisplayName = "Dara Renamed" })
	update(f.store, func(p *domain.Person) { p.Disabled = true })
	if _, err := f.call(token, "192.0.2.1"); err != nil {
		t.Fatalf("a change behind the cache: %v, want the cached principal (the TTL bounds it)", err)
	}
	update(f.store, func(p *domain.Person) { p.Disabled = false })

	// Through the watched store: at once.
	update(watched, func(p *domain.Person) { p.Roles = []domain.Role{domain.Auditor} })
	if _, err := f.call(token, "192.0.2.1"); !errors.Is(err, errRole) {
		t.Fatalf("after the change of role: %v, want the role refused", err)
	}
	update(watched, func(p *domain.Person) { p.Roles, p.Disabled = []domain.Role{domain.Administrator}, true })
	if _, err := f.call(token, "192.0.2.1"); !errors.Is(err, errNotRegistered) {
		t.Fatalf("after disabling: %v, want not registered", err)
	}
	// Refusals are not cached: enabling applies at once too.
	update(watched, func(p *domain.Person) { p.Disabled = false })
	if _, err := f.call(token, "192.0.2.1"); err != nil {
		t.Fatalf("after enabling: %v", err)
	}
}

// A partner system's certificate is resolved once too, with each call's address.
func TestCertificateResolvedOnce(t *testing.T) {
	f := newFixture(t, CacheConfig{TTL: time.Minute})
	for i, address := range []string{"198.51.100.1", "198.51.100.2"} {
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(GatewaySecretKey, gatewaySecret,
			GatewayAddressKey, address, GatewayCertKey, "spiffe://carepath.demo/partner/"+demo.HousingPartner))
		p, err := f.a.principal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != principal.KindSystem || p.Organisation != demo.HousingPartner || p.ClientAddress != address {
			t.Fatalf("call %d: principal %+v", i, p)
		}
	}
	if n := f.store.n.Load(); n != 1 {
		t.Fatalf("2 calls looked the certificate up in %d transactions, want 1", n)
	}
}

// A flood of distinct tokens cannot grow the cache beyond its size.
func TestCacheBounded(t *testing.T) {
	f := newFixture(t, CacheConfig{TTL: time.Minute, Size: 16})
	var last string
	for range 100 {
		last = f.token(t, "ada-admin", time.Hour)
		if _, err := f.call(last, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.a.cache.len(); n != 16 {
		t.Fatalf("the cache holds %d principals after 100 tokens, want its size, 16", n)
	}
	before := f.verifier.n.Load()
	if _, err := f.call(last, "192.0.2.1"); err != nil || f.verifier.n.Load() != before {
		t.Fatalf("the latest token was not cached (%v)", err)
	}
}

// A lookup that began before a change is not cached as current, though it ends after it.
func TestLookupOverlappingChangeIsNotCached(t *testing.T) {
	c := newPrincipalCache(CacheConfig{TTL: time.Minute})
	k := tokenCredential("a token")
	gen := c.current()
	c.forget() // the change commits while the lookup is in flight
	c.put(k, principal.Principal{Subject: "ada-admin"}, gen, time.Time{})
	if _, ok := c.get(k); ok {
		t.Fatal("a principal resolved before the change was cached")
	}
	c.put(k, principal.Principal{Subject: "ada-admin"}, c.current(), time.Time{})
	if _, ok := c.get(k); !ok {
		t.Fatal("a principal resolved after the change was not cached")
	}
}
