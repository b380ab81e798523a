package access

import (
	"context"
	"crypto/sha256"
	"slices"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/platform/principal"
	"github.com/carepath/carepath/internal/store"
)

// DefaultPrincipalCacheSize is how many callers' credentials the principal cache holds at
// most: a flood of distinct tokens evicts the least recently used, never grows memory.
const DefaultPrincipalCacheSize = 10_000

// CacheConfig bounds the principal cache of an Authenticator.
type CacheConfig struct {
	// TTL is how long a resolved principal is used before the caller is looked up again,
	// never past the token's "exp"; zero turns the cache off.
	TTL time.Duration
	// Size is how many credentials are held at most; zero means DefaultPrincipalCacheSize.
	Size int
	// Now is the clock of token lifetimes (the verifier's); nil means time.Now.
	Now func() time.Time
}

// credential names a bearer token or a client certificate subject by its SHA-256 digest:
// keys are small whatever the token's size, and no token is kept in the cache.
type credential struct {
	certificate bool
	digest      [sha256.Size]byte
}

func tokenCredential(token string) credential {
	return credential{digest: sha256.Sum256([]byte(token))}
}

func certificateCredential(subject string) credential {
	return credential{certificate: true, digest: sha256.Sum256([]byte(subject))}
}

type cachedPrincipal struct {
	p          principal.Principal // without a client address, which is the call's own
	until      time.Time
	generation uint64
}

// principalCache keeps who a credential stands for, so that a caller's token is verified,
// and they are looked up in the store, once in a while instead of on every call.
//
// Invalidation is by generation: every change to people or organisations (see Watch) moves
// the generation on, and an entry of an older generation is never used. Resolving a caller
// takes the generation before it reads the store, so a change that commits while a lookup
// is in flight leaves that lookup's result stale rather than cached as current.
// Refusals are never cached: a person added or enabled is let in at once.
type principalCache struct {
	ttl        time.Duration
	now        func() time.Time
	entries    *lru.Cache[credential, cachedPrincipal]
	generation atomic.Uint64
}

// newPrincipalCache returns a cache, or nil (caching nothing) when cfg.TTL is not positive.
func newPrincipalCache(cfg CacheConfig) *principalCache {
	if cfg.TTL <= 0 {
		return nil
	}
	if cfg.Size <= 0 {
		cfg.Size = DefaultPrincipalCacheSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	entries, err := lru.New[credential, cachedPrincipal](cfg.Size)
	if err != nil {
		panic(err) // only for a size that is not positive, which is excluded above
	}
	return &principalCache{ttl: cfg.TTL, now: cfg.Now, entries: entries}
}

// get returns the principal a credential stands for, if it is cached, current and not
// expired. Its slices are the caller's own to change.
func (c *principalCache) get(k credential) (principal.Principal, bool) {
	if c == nil {
		return principal.Principal{}, false
	}
	e, ok := c.entries.Get(k)
	if !ok {
		return principal.Principal{}, false
	}
	if e.generation != c.generation.Load() || !c.now().Before(e.until) {
		c.entries.Remove(k)
		return principal.Principal{}, false
	}
	p := e.p
	p.Roles, p.TeamAdvisers = slices.Clone(p.Roles), slices.Clone(p.TeamAdvisers)
	return p, true
}

// current is the generation to resolve a caller in, taken before the store is read.
func (c *principalCache) current() uint64 {
	if c == nil {
		return 0
	}
	return c.generation.Load()
}

// put caches p, resolved in generation gen, for the TTL but not past expiry (a token's
// "exp"; zero for none). An entry of an older generation is kept but never used: checking
// the generation here instead would race with a change committed just after the check.
func (c *principalCache) put(k credential, p principal.Principal, gen uint64, expiry time.Time) {
	if c == nil {
		return
	}
	now := c.now()
	until := now.Add(c.ttl)
	if !expiry.IsZero() && expiry.Before(until) {
		until = expiry
	}
	if !now.Before(until) {
		return
	}
	p.ClientAddress = ""
	p.Roles, p.TeamAdvisers = slices.Clone(p.Roles), slices.Clone(p.TeamAdvisers)
	c.entries.Add(k, cachedPrincipal{p: p, until: until, generation: gen})
}

// forget makes every cached principal stale at once.
func (c *principalCache) forget() {
	if c == nil {
		return
	}
	c.generation.Add(1)
	c.entries.Purge()
}

// len is how many credentials are held.
func (c *principalCache) len() int {
	if c == nil {
		return 0
	}
	return c.entries.Len()
}

// cached returns the principal a credential stands for from the cache, or resolves it
// (returning with it when it expires; zero for no expiry) and caches it. The client
// address is always the call's own.
func (a *Authenticator) cached(k credential, address string, resolve func() (principal.Principal, time.Time, error)) (principal.Principal, error) {
	if p, ok := a.cache.get(k); ok {
		p.ClientAddress = address
		return p, nil
	}
	gen := a.cache.current()
	p, expiry, err := resolve()
	if err == nil {
		a.cache.put(k, p, gen, expiry)
	}
	return p, err
}

// Watch returns s as it is, but for this: once a transaction that creates or changes a
// person or an organisation has ended (committed, rolled back or failed), every principal
// cached by a is forgotten. Whatever changes people, organisations or teams through the
// returned store (the access service today, an import tomorrow) invalidates the cache by
// construction; nothing needs to remember to. Other replicas learn of the change only when
// their cached principals expire, within the cache's TTL.
func (a *Authenticator) Watch(s store.Store) store.Store {
	if a.cache == nil {
		return s
	}
	return watchedStore{Store: s, changed: a.cache.forget}
}

type watchedStore struct {
	store.Store
	changed func()
}

// InTx forgets the cached principals after the transaction, never inside it: a lookup that
// starts after the forgetting reads what the transaction committed.
func (s watchedStore) InTx(ctx context.Context, fn func(store.Tx) error) error {
	var changes bool
	err := s.Store.InTx(ctx, func(tx store.Tx) error { return fn(watchedTx{Tx: tx, changes: &changes}) })
	if changes {
		s.changed()
	}
	return err
}

// watchedTx notes any write to people or organisations, whether or not it succeeds.
type watchedTx struct {
	store.Tx
	changes *bool
}

func (tx watchedTx) CreateOrganisation(ctx context.Context, o domain.Organisation) (domain.Organisation, error) {
	*tx.changes = true
	return tx.Tx.CreateOrganisation(ctx, o)
}

func (tx watchedTx) UpdateOrganisation(ctx context.Context, o domain.Organisation, ifRevision int64) (domain.Organisation, error) {
	*tx.changes = true
	return tx.Tx.UpdateOrganisation(ctx, o, ifRevision)
}

func (tx watchedTx) CreatePerson(ctx context.Context, p domain.Person) (domain.Person, error) {
	*tx.changes = true
	return tx.Tx.CreatePerson(ctx, p)
}

func (tx watchedTx) UpdatePerson(ctx context.Context, p domain.Person, ifRevision int64) (domain.Person, error) {
	*tx.changes = true
	return tx.Tx.UpdatePerson(ctx, p, ifRevision)
}
