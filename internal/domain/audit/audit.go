// Package audit is the tamper-evident trail of every read and write of personal data
// (security brief §1.7.6). Records are append-only and each organisation has its own hash
// chain: a record's hash covers the previous record's hash, so changing, removing or
// reordering a record breaks every later link. The store keeps each chain's head; a rewrite
// that also rewrites the head needs the signed anchors kept outside the database.
package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
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
	Council       string    // council of the young people touched ("" if none)
	YoungPeople   []string  // ids of the young people whose data was read or written (sorted, unique)
	RequestID     string
	ClientAddress string
	PrevHash      []byte // the Hash of the previous record of the chain (nil for Seq 1)
	Hash          []byte // SHA-256 of Canonical: PrevHash and every other field
}

// version opens every encoding, so that a future layout can never be read as this one.
const version = "carepath.audit.v1"

// Canonical returns the bytes a record's hash covers: every field except Hash, in a fixed
// order, each as a length-prefixed byte string (not a delimiter join), so that different
// records never share an encoding: Actor "ab" with Organisation "c" differs from "a" with
// "bc", and YoungPeople ["a","b"] from ["ab"]. A list is its length then its items. Time is
// the instant (Unix seconds and nanoseconds), not the zone; nil and empty lists are the same,
// as the store cannot tell them apart either.
//
// The layout is part of every stored hash: changing it breaks verification of every existing
// chain, so it needs a new version and a re-seal, not an edit.
func Canonical(r Record) []byte { return appendCanonical(nil, r) }

func appendCanonical(b []byte, r Record) []byte {
	b = appendField(b, []byte(version))
	b = appendField(b, r.PrevHash)
	b = appendString(b, r.Chain)
	b = appendField(b, binary.BigEndian.AppendUint64(nil, uint64(r.Seq)))
	b = appendField(b, binary.BigEndian.AppendUint32(
		binary.BigEndian.AppendUint64(nil, uint64(r.Time.Unix())), uint32(r.Time.Nanosecond())))
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

func sum(r Record) [sha256.Size]byte { return sha256.Sum256(Canonical(r)) }

// Seal fills in Seq, PrevHash and Hash for r as the next record after prev (prev == nil: the
// first of its chain, so Seq 1 and PrevHash nil) and returns the sealed record, which is what
// must be stored. It also truncates Time to a UTC microsecond and sorts and de-duplicates
// YoungPeople, so that the record hashes the same after a round trip through Postgres. It
// does not modify its inputs, and the result shares no slices with them.
//
// Sealing onto another chain's record would corrupt both chains silently, so it panics.
func Seal(prev *Record, r Record) Record {
	r.Seq, r.PrevHash = 1, nil
	if prev != nil {
		if prev.Chain != r.Chain {
			panic(fmt.Sprintf("audit: cannot seal a record of chain %q after one of chain %q", r.Chain, prev.Chain))
		}
		r.Seq, r.PrevHash = prev.Seq+1, slices.Clone(prev.Hash)
	}
	r.Time = r.Time.UTC().Truncate(time.Microsecond)
	r.Roles = slices.Clone(r.Roles)
	r.YoungPeople = slices.Compact(slices.Sorted(slices.Values(r.YoungPeople)))
	h := sum(r)
	r.Hash = h[:]
	return r
}

// Reasons a chain stops being trustworthy.
const (
	ReasonHashMismatch = "hash mismatch" // the record was changed after sealing, or the head disagrees with the last record
	ReasonBrokenLink   = "broken link"   // the record's PrevHash is not its predecessor's hash: one was removed, reordered or rehashed
	ReasonSequenceGap  = "sequence gap"  // records are missing before this one
	ReasonOutOfOrder   = "out of order"  // a record (or head) of another chain, or a Seq that goes backwards
	ReasonTailMissing  = "tail missing"  // the head says the chain is longer
	ReasonBeyondHead   = "beyond head"   // the head says the chain is shorter: records it does not vouch for
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

// Head is what the store keeps for each chain: the last sequence number and hash, updated
// in the same transaction as every append.
type Head struct {
	Chain string
	Seq   int64
	Hash  []byte
}

// Verifier checks one chain's records, fed in the order the store returns them (by Seq),
// holding only the last hash: a chain may have millions of records. The records and the head
// must be read in one snapshot, or appends in between look like tampering.
type Verifier struct {
	chain   string
	next    int64             // the Seq the next record must have
	last    [sha256.Size]byte // the hash of record next-1, as recomputed rather than as claimed
	buf     []byte            // reused for each record's encoding
	problem *Problem
}

// NewVerifier returns a verifier for the named chain, expecting its first record.
func NewVerifier(chain string) *Verifier { return &Verifier{chain: chain, next: 1} }

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
	v.last, v.next = h, v.next+1
	return nil
}

// Finish compares the end of the chain with its head; call it after the last record. A record
// rehashed by someone who could not also rewrite the head is caught here if it is the last.
func (v *Verifier) Finish(head Head) *Problem {
	if v.problem != nil {
		return v.problem
	}
	last := v.next - 1
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

func (v *Verifier) fail(seq int64, reason string) *Problem {
	v.problem = &Problem{Chain: v.chain, Seq: seq, Reason: reason}
	return v.problem
}
