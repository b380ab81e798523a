// Package audit is the tamper-evident trail of every read and write of personal data, and
// of every refused attempt (security brief §1.7.6). Records are append-only and each
// organisation has its own hash chain: a record's hash covers the previous record's hash,
// so changing, removing or reordering a record breaks every later link.
//
// A record is written unsealed, in the transaction of the access it records, taking no
// lock; a sealer later gives the records of each chain their place (Seq) and hashes, in the
// order their transactions committed, and appends a Head to the chain's seal log. Verifying
// a chain recomputes every hash and checks it against the seal log and, to catch a rewrite
// of the database that also rewrote the log, against checkpoints kept outside it (Anchor).
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AnonymousChain is the chain of callers with no organisation.
const AnonymousChain = "anonymous"

// Record is one audited access to personal data.
type Record struct {
	Chain         string    // the chain the record belongs to: the acting organisation's id (AnonymousChain when none)
	Seq           int64     // position in its chain, from 1, no gaps
	Time          time.Time // UTC, microsecond precision, as Postgres keeps it (Seal truncates)
	Actor         string    // person id or system id of the caller
	Organisation  string    // the caller's organisation id ("" if none)
	Roles         []string  // the caller's roles, e.g. ["PERSONAL_ADVISER"]
	Purpose       string    // "DIRECT_CARE", "HOUSING" or "EMPLOYMENT"
	Action        string    // the RPC, e.g. "carepath.v1.YoungPeopleService/GetYoungPerson"
	Outcome       string    // "OK" or a canonical code name such as "PERMISSION_DENIED"
	Reason        string    // why the access was refused, in words ("" when it was not)
	Council       string    // council of the young people touched ("" if none)
	YoungPeople   []string  // ids of the young people whose data was read or written (sorted, unique)
	RequestID     string
	ClientAddress string
	// Set when the record is sealed; zero until then.
	PrevHash []byte // the Hash of the previous record of the chain (nil for Seq 1)
	Hash     []byte // SHA-256 of Canonical: PrevHash and every other field
}

// Sealed reports whether the record has its place in its chain.
func (r Record) Sealed() bool { return r.Seq > 0 }

// Outcomes.
const (
	OutcomeOK     = "OK"
	OutcomeDenied = "PERMISSION_DENIED"
)

// version opens every encoding, so that a future layout can never be read as this one.
const version = "carepath.audit.v1"

// Canonical returns the bytes a record's hash covers: every field except Hash, in a fixed
// order, each as a length-prefixed byte string (not a delimiter join), so that different
// records never share an encoding: Actor "ab" with Organisation "c" differs from "a" with
// "bc", and YoungPeople ["a","b"] from ["ab"]. A list is its length then its items. Time is
// the instant (Unix seconds and nanoseconds), not the zone; nil and empty lists are the same,
// as the store cannot tell them apart either. Reason, added after the first chains were
// sealed, comes last and only when it is not empty: every record sealed before it existed
// keeps its encoding, and one with a reason has a field more, so the two never meet.
//
// The layout is part of every stored hash: changing it breaks verification of every existing
// chain, so it needs a new version and a re-seal, not an edit.
func Canonical(r Record) []byte { return appendCanonical(nil, r) }

func appendCanonical(b []byte, r Record) []byte {
	b = appendField(b, []byte(version))
	b = appendField(b, r.PrevHash)
	b = appendString(b, r.Chain)
	b = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, 8), uint64(r.Seq))
	b = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(
		binary.BigEndian.AppendUint64(b, 12), uint64(r.Time.Unix())), uint32(r.Time.Nanosecond()))
	b = appendString(b, r.Actor)
	b = appendString(b, r.Organisation)
	b = appendList(b, r.Roles)
	b = appendString(b, r.Purpose)
	b = appendString(b, r.Action)
	b = appendString(b, r.Outcome)
	b = appendString(b, r.Council)
	b = appendList(b, r.YoungPeople)
	b = appendString(b, r.RequestID)
	b = appendString(b, r.ClientAddress)
	if r.Reason != "" {
		b = appendString(b, r.Reason)
	}
	return b
}

// appendField writes a 64-bit big-endian length then the bytes; a fixed-width length keeps
// the layout easy to reproduce outside Go (a verifier in SQL, say).
func appendField(b, f []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(f)))
	return append(b, f...)
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

func appendList(b []byte, l []string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(l)))
	for _, s := range l {
		b = appendString(b, s)
	}
	return b
}

// sum hashes r's encoding, built in a buffer that stays on the stack for a record of usual
// size: the sealer hashes every record a replica serves, so this runs as often as calls do.
func sum(r Record) [sha256.Size]byte {
	var buf [512]byte
	return sha256.Sum256(appendCanonical(buf[:0], r))
}

// Normalize returns r as a store keeps it, unsealed: Time truncated to a UTC microsecond,
// YoungPeople sorted and de-duplicated, Seq and hashes cleared, so that the record hashes the
// same after a round trip through Postgres. The result shares no slices with r.
func Normalize(r Record) Record {
	r.Seq, r.PrevHash, r.Hash = 0, nil, nil
	r.Time = r.Time.UTC().Truncate(time.Microsecond)
	r.Roles = slices.Clone(r.Roles)
	r.YoungPeople = slices.Compact(slices.Sorted(slices.Values(r.YoungPeople)))
	return r
}

// Seal fills in Seq, PrevHash and Hash for r as the next record after prev (prev == nil: the
// first of its chain, so Seq 1 and PrevHash nil) and returns the sealed record, which is what
// must be stored. It normalizes r first (see Normalize). It does not modify its inputs, and
// the result shares no slices with them.
//
// Sealing onto another chain's record would corrupt both chains silently, so it panics.
func Seal(prev *Record, r Record) Record {
	r = Normalize(r)
	r.Seq = 1
	if prev != nil {
		if prev.Chain != r.Chain {
			panic(fmt.Sprintf("audit: cannot seal a record of chain %q after one of chain %q", r.Chain, prev.Chain))
		}
		r.Seq, r.PrevHash = prev.Seq+1, slices.Clone(prev.Hash)
	}
	h := sum(r)
	r.Hash = h[:]
	return r
}

// SealBatch seals records, in the order given, each as the next record of its chain: after
// the chain's last sealed record (last, by chain; absent for a chain with none) or the record
// sealed before it in the batch. It returns the sealed records and, by chain, the new head of
// each chain extended, stamped with now.
func SealBatch(last map[string]Head, records []Record, now time.Time) ([]Record, []Head) {
	prev := make(map[string]*Record, len(last))
	for chain, h := range last {
		prev[chain] = &Record{Chain: chain, Seq: h.Seq, Hash: h.Hash}
	}
	sealed := make([]Record, len(records))
	for i, r := range records {
		sealed[i] = Seal(prev[r.Chain], r)
		prev[r.Chain] = &sealed[i]
	}
	var heads []Head
	for i := range sealed {
		if r := sealed[i]; prev[r.Chain] == &sealed[i] {
			heads = append(heads, Head{Chain: r.Chain, Seq: r.Seq, Hash: slices.Clone(r.Hash), Time: now.UTC().Truncate(time.Microsecond)})
		}
	}
	slices.SortFunc(heads, func(a, b Head) int { return strings.Compare(a.Chain, b.Chain) })
	return sealed, heads
}

// Reasons a chain stops being trustworthy.
const (
	ReasonHashMismatch = "hash mismatch" // the record was changed after sealing, or the head disagrees with the last record
	ReasonBrokenLink   = "broken link"   // the record's PrevHash is not its predecessor's hash: one was removed, reordered or rehashed
	ReasonSequenceGap  = "sequence gap"  // records are missing before this one
	ReasonOutOfOrder   = "out of order"  // a record (or head) of another chain, or a Seq that goes backwards
	ReasonTailMissing  = "tail missing"  // a seal says the chain is longer
	ReasonBeyondHead   = "beyond head"   // no seal vouches for this record and those after it: the head is missing or behind
	ReasonSealMismatch = "seal mismatch" // a seal of the log disagrees with the record it vouches for
	// A checkpoint kept outside the database disagrees with the record it vouches for, or
	// vouches for records that are gone: the chain (and its seals) were rewritten or cut.
	ReasonCheckpointMismatch = "checkpoint mismatch"
	ReasonTruncated          = "truncated before a checkpoint"
)

// Problem says where a chain stops being trustworthy.
type Problem struct {
	Chain  string
	Seq    int64  // the position in the chain at which verification failed: the wrong record, or the first missing one
	Reason string // one of the Reason constants
}

func (p Problem) String() string {
	return fmt.Sprintf("audit chain %q untrustworthy at record %d: %s", p.Chain, p.Seq, p.Reason)
}

// Head is one entry of a chain's seal log: the sealer vouches that record Seq of the chain
// has Hash. It appends one each time it extends the chain; the latest is the chain's head.
type Head struct {
	Chain string
	Seq   int64
	Hash  []byte
	Time  time.Time // when it was sealed (zero for heads from before seals were logged)
}

// Source says where an anchor comes from, and so what its disagreement means.
type Source int

const (
	FromSeal       Source = iota // the seal log in the database
	FromCheckpoint               // a checkpoint kept outside the database
)

type anchor struct {
	seq    int64
	hash   []byte
	source Source
}

// Verifier checks one chain's records, fed in the order the store returns them (by Seq),
// holding only the last hash and the anchors not yet reached: a chain may have millions of
// records. The records, seals and head must be read in one snapshot, or sealing in between
// looks like tampering.
type Verifier struct {
	chain   string
	next    int64             // the Seq the next record must have
	last    [sha256.Size]byte // the hash of record next-1, as recomputed rather than as claimed
	buf     []byte            // reused for each record's encoding
	anchors []anchor          // by seq: what records not yet added must hash to
	problem *Problem
}

// NewVerifier returns a verifier for the named chain, expecting its first record.
func NewVerifier(chain string) *Verifier { return &Verifier{chain: chain, next: 1} }

// Anchor adds an expectation: record h.Seq of the chain hashes to h.Hash. It must come before
// that record is added (a seal or checkpoint of an earlier record cannot be checked any
// more, so that is a mistake of the caller and panics); an anchor beyond the last record is
// reported by Finish. Anchors of another chain are a problem of their own.
func (v *Verifier) Anchor(h Head, source Source) *Problem {
	if v.problem != nil {
		return v.problem
	}
	if h.Chain != v.chain {
		return v.fail(v.next, ReasonOutOfOrder)
	}
	if h.Seq < v.next {
		panic(fmt.Sprintf("audit: anchor at record %d of chain %q given after record %d was added", h.Seq, v.chain, v.next-1))
	}
	a := anchor{seq: h.Seq, hash: slices.Clone(h.Hash), source: source}
	i, _ := slices.BinarySearchFunc(v.anchors, a, func(x, y anchor) int { return int(x.seq - y.seq) })
	v.anchors = slices.Insert(v.anchors, i, a)
	return nil
}

// Add checks the next record; it returns the first problem found (and keeps returning it).
func (v *Verifier) Add(r Record) *Problem {
	if v.problem != nil {
		return v.problem
	}
	switch {
	case r.Chain != v.chain || r.Seq < v.next:
		return v.fail(v.next, ReasonOutOfOrder)
	case r.Seq > v.next:
		return v.fail(v.next, ReasonSequenceGap)
	}
	// The link comes before the record's own hash: a record renumbered into a hole keeps its
	// old PrevHash, and "broken link" says more about what happened than "hash mismatch".
	if v.next == 1 && len(r.PrevHash) != 0 || v.next > 1 && !bytes.Equal(r.PrevHash, v.last[:]) {
		return v.fail(r.Seq, ReasonBrokenLink)
	}
	v.buf = appendCanonical(v.buf[:0], r)
	h := sha256.Sum256(v.buf)
	if !bytes.Equal(r.Hash, h[:]) {
		return v.fail(r.Seq, ReasonHashMismatch)
	}
	for len(v.anchors) > 0 && v.anchors[0].seq == r.Seq {
		a := v.anchors[0]
		v.anchors = v.anchors[1:]
		if !bytes.Equal(a.hash, h[:]) {
			return v.fail(r.Seq, mismatch(a.source))
		}
	}
	v.last, v.next = h, v.next+1
	return nil
}

func mismatch(s Source) string {
	if s == FromCheckpoint {
		return ReasonCheckpointMismatch
	}
	return ReasonSealMismatch
}

// Finish compares the end of the chain with its head (the latest seal; a zero Head when the
// chain has none) and with the anchors beyond the last record; call it after the last
// record. A record rehashed by someone who could not also rewrite the head is caught here if
// it is the last; a chain cut short, with its seals, is caught by a checkpoint beyond it.
func (v *Verifier) Finish(head Head) *Problem {
	if v.problem != nil {
		return v.problem
	}
	last := v.next - 1
	if len(v.anchors) > 0 {
		reason := ReasonTailMissing
		if slices.ContainsFunc(v.anchors, func(a anchor) bool { return a.source == FromCheckpoint }) {
			reason = ReasonTruncated
		}
		return v.fail(last+1, reason)
	}
	switch {
	case head.Chain != v.chain:
		return v.fail(v.next, ReasonOutOfOrder)
	case head.Seq > last:
		return v.fail(last+1, ReasonTailMissing)
	case head.Seq < last:
		return v.fail(head.Seq+1, ReasonBeyondHead)
	case last == 0 && len(head.Hash) != 0 || last > 0 && !bytes.Equal(head.Hash, v.last[:]):
		return v.fail(last, ReasonHashMismatch)
	}
	return nil
}

// Chain is the chain the verifier checks.
func (v *Verifier) Chain() string { return v.chain }

// Records returns how many records were added and found sound.
func (v *Verifier) Records() int64 { return v.next - 1 }

func (v *Verifier) fail(seq int64, reason string) *Problem {
	v.problem = &Problem{Chain: v.chain, Seq: seq, Reason: reason}
	return v.problem
}
