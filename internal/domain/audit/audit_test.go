package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const chain = "org-leaving-care-north"

var epoch = time.Date(2026, time.March, 2, 9, 30, 0, 123456000, time.UTC)

// sealedChain is a chain of 20 records with varied fields, as the store would hold it.
func sealedChain(t testing.TB) []Record {
	t.Helper()
	purposes := []string{"DIRECT_CARE", "HOUSING", "EMPLOYMENT", "AUDIT", "ADMINISTRATION"}
	actions := []string{
		"carepath.v1.YoungPeopleService/GetYoungPerson",
		"carepath.v1.YoungPeopleService/ListYoungPeople",
		"carepath.v1.MilestoneService/UpdateMilestone",
	}
	var recs []Record
	for i := range 20 {
		r := Record{
			Chain:         chain,
			Time:          epoch.Add(time.Duration(i) * 37 * time.Second),
			Actor:         fmt.Sprintf("person-%d", i%4),
			Organisation:  chain,
			Roles:         []string{"PERSONAL_ADVISER"},
			Purpose:       purposes[i%len(purposes)],
			Action:        actions[i%len(actions)],
			Outcome:       "OK",
			Council:       "E08000003",
			YoungPeople:   []string{fmt.Sprintf("yp-%03d", i)},
			RequestID:     fmt.Sprintf("req-%04x", i*7919),
			ClientAddress: "10.0.0.1:443",
		}
		switch i % 5 {
		case 1:
			r.Roles = append(r.Roles, "TEAM_MANAGER")
			r.YoungPeople = append(r.YoungPeople, "yp-900", "yp-901")
		case 2:
			r.Outcome, r.Reason, r.YoungPeople = "PERMISSION_DENIED", "your role may not call this method", nil
		case 3:
			r.Actor, r.Organisation, r.Roles, r.Council = "system:reminders", "", nil, ""
		case 4:
			r.ClientAddress = "[2001:db8::1]:51234"
		}
		var prev *Record
		if i > 0 {
			prev = &recs[i-1]
		}
		recs = append(recs, Seal(prev, r))
	}
	return recs
}

func headOf(recs []Record) Head {
	last := recs[len(recs)-1]
	return Head{Chain: last.Chain, Seq: last.Seq, Hash: slices.Clone(last.Hash)}
}

func deepCopy(r Record) Record {
	r.Roles, r.YoungPeople = slices.Clone(r.Roles), slices.Clone(r.YoungPeople)
	r.PrevHash, r.Hash = slices.Clone(r.PrevHash), slices.Clone(r.Hash)
	return r
}

// rehash is what an attacker who can write the table (but not the head) does to a record.
func rehash(r *Record) {
	h := sha256.Sum256(Canonical(*r))
	r.Hash = h[:]
}

func TestSealChains(t *testing.T) {
	recs := sealedChain(t)
	if recs[0].Seq != 1 || recs[0].PrevHash != nil {
		t.Errorf("first record: Seq %d, PrevHash %x; want 1, nil", recs[0].Seq, recs[0].PrevHash)
	}
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Errorf("record %d has Seq %d", i+1, r.Seq)
		}
		if want := sha256.Sum256(Canonical(r)); !bytes.Equal(r.Hash, want[:]) {
			t.Errorf("record %d: Hash is not SHA-256 of Canonical", r.Seq)
		}
		if i > 0 && !bytes.Equal(r.PrevHash, recs[i-1].Hash) {
			t.Errorf("record %d: PrevHash is not the previous record's Hash", r.Seq)
		}
	}
	// Seal ignores whatever Seq and hashes the caller left in r.
	stale := recs[4]
	again := Seal(&recs[3], Record{Chain: chain, Seq: 99, PrevHash: []byte("x"), Hash: []byte("y"),
		Time: stale.Time, Actor: stale.Actor, Organisation: stale.Organisation, Roles: stale.Roles,
		Purpose: stale.Purpose, Action: stale.Action, Outcome: stale.Outcome, Council: stale.Council,
		YoungPeople: stale.YoungPeople, RequestID: stale.RequestID, ClientAddress: stale.ClientAddress})
	if !reflect.DeepEqual(again, stale) {
		t.Errorf("resealing record 5 gave\n%+v\nwant\n%+v", again, stale)
	}
	if first := Seal(nil, Record{Chain: chain, Seq: 7, PrevHash: []byte("x")}); first.Seq != 1 || first.PrevHash != nil {
		t.Errorf("Seal(nil, …) gave Seq %d, PrevHash %x", first.Seq, first.PrevHash)
	}
}

func TestSealDoesNotModifyInputs(t *testing.T) {
	prev := Seal(nil, Record{Chain: chain, Time: epoch, Actor: "person-1", YoungPeople: []string{"yp-1"}})
	r := Record{
		Chain: chain, Seq: 42, Time: epoch.Add(1500 * time.Nanosecond).In(time.FixedZone("BST", 3600)),
		Actor: "person-2", Roles: []string{"PERSONAL_ADVISER", "TEAM_MANAGER"},
		YoungPeople: []string{"yp-3", "yp-1", "yp-3", "yp-2"},
		PrevHash:    []byte("caller's"), Hash: []byte("junk"),
	}
	prevBefore, rBefore := deepCopy(prev), deepCopy(r)

	got := Seal(&prev, r)
	if !reflect.DeepEqual(prev, prevBefore) {
		t.Errorf("Seal modified prev:\n%+v\nwas\n%+v", prev, prevBefore)
	}
	if !reflect.DeepEqual(r, rBefore) {
		t.Errorf("Seal modified r:\n%+v\nwas\n%+v", r, rBefore)
	}

	// The result shares nothing with the inputs: changing it must not reach them.
	got.Roles[0], got.YoungPeople[0], got.PrevHash[0] = "X", "X", 'X'
	if !reflect.DeepEqual(prev, prevBefore) || !reflect.DeepEqual(r, rBefore) {
		t.Error("the sealed record shares slices with Seal's inputs")
	}
}

func TestSealNormalises(t *testing.T) {
	r := Seal(nil, Record{
		Chain:       chain,
		Time:        time.Date(2026, time.July, 1, 10, 0, 0, 123456789, time.FixedZone("BST", 3600)),
		YoungPeople: []string{"yp-3", "yp-1", "yp-3", "yp-2", "yp-1"},
	})
	if want := time.Date(2026, time.July, 1, 9, 0, 0, 123456000, time.UTC); r.Time != want {
		t.Errorf("Time = %v, want %v (UTC, truncated to the microsecond Postgres keeps)", r.Time, want)
	}
	if want := []string{"yp-1", "yp-2", "yp-3"}; !slices.Equal(r.YoungPeople, want) {
		t.Errorf("YoungPeople = %q, want %q", r.YoungPeople, want)
	}
	// What comes back from the store (fresh UTC time, same microsecond) still verifies.
	stored := deepCopy(r)
	stored.Time = time.UnixMicro(r.Time.UnixMicro()).UTC()
	if p := NewVerifier(chain).Add(stored); p != nil {
		t.Errorf("a record read back from the store fails: %v", p)
	}
}

func TestSealRefusesAnotherChain(t *testing.T) {
	prev := Seal(nil, Record{Chain: "org-a"})
	defer func() {
		if recover() == nil {
			t.Error("Seal chained a record of org-b onto org-a")
		}
	}()
	Seal(&prev, Record{Chain: "org-b"})
}

// trickyPairs are records that a careless encoding (concatenation, delimiter join, a list
// flattened into its items, a zone or a nil slice taken for data) would confuse or separate.
var trickyPairs = []struct {
	name string
	a, b Record
	same bool
}{
	{"field boundary moved", Record{Actor: "ab", Organisation: "c"}, Record{Actor: "a", Organisation: "bc"}, false},
	{"delimiter inside a field", Record{Actor: "a|b", Organisation: ""}, Record{Actor: "a", Organisation: "b"}, false},
	{"list items merged", Record{YoungPeople: []string{"a", "b"}}, Record{YoungPeople: []string{"ab"}}, false},
	{"list item with a comma", Record{YoungPeople: []string{"a,b"}}, Record{YoungPeople: []string{"a", "b"}}, false},
	{"empty item against none", Record{Roles: []string{""}}, Record{Roles: nil}, false},
	{"item moved between lists", Record{Roles: []string{"x"}}, Record{YoungPeople: []string{"x"}}, false},
	{"list boundary moved", Record{Roles: []string{"a"}, YoungPeople: []string{"b", "c"}},
		Record{Roles: []string{"a", "b"}, YoungPeople: []string{"c"}}, false},
	{"list boundary moved across fields", // only the lists' counts tell these apart
		Record{Roles: []string{"r", "p"}, Purpose: "a", Action: "o", Outcome: "c", Council: "y"},
		Record{Roles: []string{"r"}, Purpose: "p", Action: "a", Outcome: "o", Council: "c", YoungPeople: []string{"y"}}, false},
	{"string against prev hash", Record{PrevHash: []byte("org"), Chain: ""}, Record{Chain: "org"}, false},
	{"length bytes forged in a field", Record{Actor: "a\x00\x00\x00\x00\x00\x00\x00\x01b"},
		Record{Actor: "a", Organisation: "b"}, false},
	{"one microsecond apart", Record{Time: epoch}, Record{Time: epoch.Add(time.Microsecond)}, false},
	{"one nanosecond apart", Record{Time: epoch}, Record{Time: epoch.Add(1)}, false},
	{"sequence differs", Record{Seq: 1}, Record{Seq: 2}, false},
	{"same instant, other zone", Record{Time: epoch}, Record{Time: epoch.In(time.FixedZone("BST", 3600))}, true},
	{"nil and empty list", Record{Roles: nil, PrevHash: nil}, Record{Roles: []string{}, PrevHash: []byte{}}, true},
	{"hash is not covered", Record{Hash: []byte("a")}, Record{Hash: []byte("b")}, true},
	{"a reason against none", Record{Outcome: "PERMISSION_DENIED", Reason: "role"}, Record{Outcome: "PERMISSION_DENIED"}, false},
	{"reason split from the client address", Record{ClientAddress: "ab"}, Record{ClientAddress: "a", Reason: "b"}, false},
	{"reason as a length-prefixed tail of the address", Record{ClientAddress: "a\x00\x00\x00\x00\x00\x00\x00\x01b"},
		Record{ClientAddress: "a", Reason: "b"}, false},
}

func TestCanonicalTrickyPairs(t *testing.T) {
	for _, tc := range trickyPairs {
		if same(tc.a, tc.b) != tc.same {
			t.Fatalf("%s: the test's own equality disagrees with the case", tc.name)
		}
		if got := bytes.Equal(Canonical(tc.a), Canonical(tc.b)); got != tc.same {
			t.Errorf("%s: Canonical equal = %v, want %v", tc.name, got, tc.same)
		}
	}
}

// TestCanonicalCoversEveryField changes each field in turn, so that a field added to Record
// but not to Canonical (and so not protected by the hash) fails here.
func TestCanonicalCoversEveryField(t *testing.T) {
	base := sealedChain(t)[6]
	typ := reflect.TypeFor[Record]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		r := deepCopy(base)
		v := reflect.ValueOf(&r).Elem().Field(i)
		switch x := v.Addr().Interface().(type) {
		case *string:
			*x += "x"
		case *int64:
			*x++
		case *time.Time:
			*x = x.Add(time.Microsecond)
		case *[]string:
			*x = append(*x, "x")
		case *[]byte:
			*x = append(*x, 'x')
		default:
			t.Fatalf("Record.%s is a %s: teach Canonical and this test about it", f.Name, f.Type)
		}
		changed := !bytes.Equal(Canonical(r), Canonical(base))
		if covered := f.Name != "Hash"; changed != covered {
			t.Errorf("changing Record.%s changes Canonical: %v, want %v", f.Name, changed, covered)
		}
	}
}

// TestCanonicalGolden pins the layout: every stored hash depends on it, so a change must be a
// deliberate new version, never an accident.
func TestCanonicalGolden(t *testing.T) {
	r := Seal(nil, Record{
		Chain: "org-1", Time: time.Date(2026, time.January, 2, 3, 4, 5, 6000, time.UTC),
		Actor: "person-1", Organisation: "org-1", Roles: []string{"PERSONAL_ADVISER"},
		Purpose: "DIRECT_CARE", Action: "carepath.v1.YoungPeopleService/GetYoungPerson",
		Outcome: "OK", Council: "E08000003", YoungPeople: []string{"yp-1", "yp-2"},
		RequestID: "req-1", ClientAddress: "192.0.2.1:443",
	})
	c := Canonical(r)
	if want := append(binary.BigEndian.AppendUint64(nil, uint64(len(version))), version...); !bytes.HasPrefix(c, want) {
		t.Errorf("Canonical does not open with the length-prefixed version: %q", c[:min(len(c), 32)])
	}
	const want = "63f445357065d4f70f46de531421a07c807f36eccd0971c38572bc08c8d4eb84" // agrees with an independent Python implementation of the layout
	if got := hex.EncodeToString(r.Hash); got != want {
		t.Errorf("Hash of the golden record = %s, want %s", got, want)
	}
}

func TestVerifier(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(recs []Record, head *Head) []Record
		want   *Problem // nil: trustworthy
		finish bool     // found by Finish, not Add
	}{
		{"untouched", func(recs []Record, _ *Head) []Record { return recs }, nil, false},
		{"empty chain, empty head", func(_ []Record, head *Head) []Record {
			*head = Head{Chain: chain}
			return nil
		}, nil, false},

		{"actor changed", func(recs []Record, _ *Head) []Record {
			recs[6].Actor = "person-3"
			return recs
		}, &Problem{chain, 7, ReasonHashMismatch}, false},
		{"outcome changed on the first record", func(recs []Record, _ *Head) []Record {
			recs[0].Outcome = "PERMISSION_DENIED"
			return recs
		}, &Problem{chain, 1, ReasonHashMismatch}, false},
		{"young person removed", func(recs []Record, _ *Head) []Record {
			recs[11].YoungPeople = recs[11].YoungPeople[:1]
			return recs
		}, &Problem{chain, 12, ReasonHashMismatch}, false},
		{"time moved by a microsecond", func(recs []Record, _ *Head) []Record {
			recs[2].Time = recs[2].Time.Add(time.Microsecond)
			return recs
		}, &Problem{chain, 3, ReasonHashMismatch}, false},
		{"last record changed", func(recs []Record, _ *Head) []Record {
			recs[19].Purpose = "AUDIT"
			return recs
		}, &Problem{chain, 20, ReasonHashMismatch}, false},

		{"record deleted from the middle", func(recs []Record, _ *Head) []Record {
			return slices.Delete(recs, 7, 8)
		}, &Problem{chain, 8, ReasonSequenceGap}, false},
		{"first record deleted", func(recs []Record, _ *Head) []Record {
			return recs[1:]
		}, &Problem{chain, 1, ReasonSequenceGap}, false},
		{"record deleted, later ones renumbered", func(recs []Record, _ *Head) []Record {
			recs = slices.Delete(recs, 7, 8)
			for i := 7; i < len(recs); i++ {
				recs[i].Seq--
			}
			return recs
		}, &Problem{chain, 8, ReasonBrokenLink}, false},
		{"record deleted, later ones renumbered and rehashed", func(recs []Record, _ *Head) []Record {
			recs = slices.Delete(recs, 7, 8)
			for i := 7; i < len(recs); i++ {
				recs[i].Seq--
				rehash(&recs[i])
			}
			return recs
		}, &Problem{chain, 8, ReasonBrokenLink}, false},
		{"record deleted, tail re-sealed: only the head can tell", func(recs []Record, _ *Head) []Record {
			recs = slices.Delete(recs, 7, 8)
			for i := 7; i < len(recs); i++ {
				recs[i] = Seal(&recs[i-1], recs[i])
			}
			return recs
		}, &Problem{chain, 20, ReasonTailMissing}, true},
		{"record changed, tail re-sealed: only the head can tell", func(recs []Record, _ *Head) []Record {
			recs[9].Outcome = "PERMISSION_DENIED"
			for i := 9; i < len(recs); i++ {
				recs[i] = Seal(&recs[i-1], recs[i])
			}
			return recs
		}, &Problem{chain, 20, ReasonHashMismatch}, true},

		{"two records swapped, Seq kept", func(recs []Record, _ *Head) []Record {
			recs[9], recs[10] = recs[10], recs[9]
			recs[9].Seq, recs[10].Seq = 10, 11
			return recs
		}, &Problem{chain, 10, ReasonBrokenLink}, false},
		{"first two records swapped, Seq kept", func(recs []Record, _ *Head) []Record {
			recs[0], recs[1] = recs[1], recs[0]
			recs[0].Seq, recs[1].Seq = 1, 2
			return recs
		}, &Problem{chain, 1, ReasonBrokenLink}, false},
		{"two records returned in the wrong order", func(recs []Record, _ *Head) []Record {
			recs[9], recs[10] = recs[10], recs[9]
			return recs
		}, &Problem{chain, 10, ReasonSequenceGap}, false},

		{"last record deleted", func(recs []Record, _ *Head) []Record {
			return recs[:19]
		}, &Problem{chain, 20, ReasonTailMissing}, true},
		{"every record deleted", func(_ []Record, _ *Head) []Record {
			return nil
		}, &Problem{chain, 1, ReasonTailMissing}, true},

		{"record rehashed consistently", func(recs []Record, _ *Head) []Record {
			recs[8].YoungPeople = nil
			rehash(&recs[8])
			return recs
		}, &Problem{chain, 10, ReasonBrokenLink}, false},
		{"first record rehashed consistently", func(recs []Record, _ *Head) []Record {
			recs[0].Actor = "someone-else"
			rehash(&recs[0])
			return recs
		}, &Problem{chain, 2, ReasonBrokenLink}, false},
		{"last record rehashed consistently", func(recs []Record, _ *Head) []Record {
			recs[19].Actor = "someone-else"
			rehash(&recs[19])
			return recs
		}, &Problem{chain, 20, ReasonHashMismatch}, true},

		{"record of another chain inserted", func(recs []Record, _ *Head) []Record {
			other := Seal(nil, Record{Chain: "org-other", Time: epoch, Actor: "person-9"})
			other.Seq = 6
			return slices.Insert(recs, 5, other)
		}, &Problem{chain, 6, ReasonOutOfOrder}, false},
		{"record of another chain in place of one", func(recs []Record, _ *Head) []Record {
			recs[5].Chain = "org-other"
			rehash(&recs[5])
			return recs
		}, &Problem{chain, 6, ReasonOutOfOrder}, false},
		{"record returned twice", func(recs []Record, _ *Head) []Record {
			return slices.Insert(recs, 6, recs[5])
		}, &Problem{chain, 7, ReasonOutOfOrder}, false},
		{"first record numbered 0", func(recs []Record, _ *Head) []Record {
			recs[0].Seq = 0
			return recs
		}, &Problem{chain, 1, ReasonOutOfOrder}, false},

		{"records beyond a stale head", func(recs []Record, head *Head) []Record {
			*head = headOf(recs[:18])
			return recs
		}, &Problem{chain, 19, ReasonBeyondHead}, true},
		{"head of another chain", func(recs []Record, head *Head) []Record {
			head.Chain = "org-other"
			return recs
		}, &Problem{chain, 21, ReasonOutOfOrder}, true},
		{"head hash forged on an empty chain", func(_ []Record, head *Head) []Record {
			*head = Head{Chain: chain, Hash: []byte("x")}
			return nil
		}, &Problem{chain, 0, ReasonHashMismatch}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := sealedChain(t)
			head := headOf(recs)
			recs = tc.tamper(recs, &head)

			v := NewVerifier(chain)
			var got *Problem
			for _, r := range recs {
				if got = v.Add(r); got != nil {
					break
				}
			}
			byFinish := got == nil
			if byFinish {
				got = v.Finish(head)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if got == nil {
				return
			}
			if byFinish != tc.finish {
				t.Errorf("found by Finish: %v, want %v", byFinish, tc.finish)
			}
			// The first problem sticks: a later good-looking record or head cannot clear it.
			if again := v.Add(sealedChain(t)[0]); again != got {
				t.Errorf("Add after a problem returned %v, want %v again", again, got)
			}
			if again := v.Finish(headOf(sealedChain(t))); again != got {
				t.Errorf("Finish after a problem returned %v, want %v again", again, got)
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	p := Problem{Chain: "org-1", Seq: 8, Reason: ReasonSequenceGap}
	if got := p.String(); !strings.Contains(got, `"org-1"`) || !strings.Contains(got, "8") || !strings.Contains(got, "sequence gap") {
		t.Errorf("String() = %q", got)
	}
}

// same reports whether a and b are the same record as far as the hash is concerned: every
// field but Hash, instants rather than zones, nil lists equal to empty ones.
func same(a, b Record) bool {
	return a.Chain == b.Chain && a.Seq == b.Seq && a.Time.Equal(b.Time) &&
		a.Actor == b.Actor && a.Organisation == b.Organisation && slices.Equal(a.Roles, b.Roles) &&
		a.Purpose == b.Purpose && a.Action == b.Action && a.Outcome == b.Outcome &&
		a.Council == b.Council && slices.Equal(a.YoungPeople, b.YoungPeople) &&
		a.RequestID == b.RequestID && a.ClientAddress == b.ClientAddress && a.Reason == b.Reason &&
		bytes.Equal(a.PrevHash, b.PrevHash)
}

// FuzzCanonical checks that Canonical is injective: two records that differ in any field
// (other than Hash) never share an encoding, and equal ones always do. Each record is built
// from one fuzzed byte string, so field contents may hold any byte, including ones that look
// like delimiters or length prefixes.
func FuzzCanonical(f *testing.F) {
	for _, tc := range trickyPairs {
		f.Add(pack(tc.a), pack(tc.b))
	}
	recs := sealedChain(f)
	f.Add(pack(recs[3]), pack(recs[4]))
	f.Fuzz(func(t *testing.T, x, y []byte) {
		a, b := unpack(x), unpack(y)
		if got, want := bytes.Equal(Canonical(a), Canonical(b)), same(a, b); got != want {
			t.Fatalf("Canonical equal = %v, records equal = %v\na = %#v\nb = %#v", got, want, a, b)
		}
		// Stronger than any one pair: the encoding can be read back into the record.
		for _, r := range []Record{a, b} {
			if back, ok := parseCanonical(Canonical(r)); !ok || !same(back, r) {
				t.Fatalf("Canonical(%#v) does not read back (got %#v, %v)", r, back, ok)
			}
		}
	})
}

// pack writes r in the fuzz input layout that unpack reads.
func pack(r Record) []byte {
	var b []byte
	str := func(s string) { b = append(append(b, byte(len(s))), s...) }
	list := func(l []string) {
		n := byte(len(l))
		if l != nil && len(l) == 0 {
			n = 0x80 // an empty list that is not nil
		}
		b = append(b, n)
		for _, s := range l {
			str(s)
		}
	}
	str(r.Chain)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(r.Time.Nanosecond()))
	_, offset := r.Time.Zone()
	b = append(b, byte(offset/3600))
	str(r.Actor)
	str(r.Organisation)
	list(r.Roles)
	str(r.Purpose)
	str(r.Action)
	str(r.Outcome)
	str(r.Council)
	list(r.YoungPeople)
	str(r.RequestID)
	str(r.ClientAddress)
	str(r.Reason)
	str(string(r.PrevHash))
	str(string(r.Hash))
	return b
}

// unpack builds a record from any bytes: each string is a length byte then that many bytes
// (fewer at the end of the input), each list a count byte (high bit: empty but not nil).
func unpack(b []byte) Record {
	next := func(n int) []byte {
		n = min(n, len(b))
		s := b[:n]
		b = b[n:]
		return s
	}
	num := func(n int) uint64 {
		var buf [8]byte
		copy(buf[8-n:], next(n))
		return binary.BigEndian.Uint64(buf[:])
	}
	str := func() string { return string(next(int(num(1)))) }
	list := func() []string {
		c := num(1)
		if c == 0x80 {
			return []string{}
		}
		var l []string
		for range c % 8 {
			l = append(l, str())
		}
		return l
	}
	var r Record
	r.Chain = str()
	r.Seq = int64(num(8))
	sec, nsec := int64(num(8)), int64(num(4)%1e9)
	r.Time = time.Unix(sec, nsec).In(time.FixedZone("", int(int8(num(1)))*3600))
	r.Actor = str()
	r.Organisation = str()
	r.Roles = list()
	r.Purpose = str()
	r.Action = str()
	r.Outcome = str()
	r.Council = str()
	r.YoungPeople = list()
	r.RequestID = str()
	r.ClientAddress = str()
	r.Reason = str()
	if p := next(int(num(1))); len(p) > 0 {
		r.PrevHash = p
	}
	r.Hash = []byte(str())
	return r
}

// parseCanonical reads an encoding back, independently of the code that wrote it.
func parseCanonical(b []byte) (Record, bool) {
	ok := true
	field := func() []byte {
		if len(b) < 8 {
			ok = false
			return nil
		}
		n := binary.BigEndian.Uint64(b)
		b = b[8:]
		if n > uint64(len(b)) {
			ok = false
			return nil
		}
		f := b[:n]
		b = b[n:]
		return f
	}
	str := func() string { return string(field()) }
	list := func() []string {
		if len(b) < 8 {
			ok = false
			return nil
		}
		n := binary.BigEndian.Uint64(b)
		b = b[8:]
		var l []string
		for range n {
			if !ok {
				break
			}
			l = append(l, str())
		}
		return l
	}
	var r Record
	ok = ok && str() == version
	r.PrevHash = field()
	r.Chain = str()
	if s := field(); len(s) == 8 {
		r.Seq = int64(binary.BigEndian.Uint64(s))
	} else {
		ok = false
	}
	if t := field(); len(t) == 12 {
		r.Time = time.Unix(int64(binary.BigEndian.Uint64(t)), int64(binary.BigEndian.Uint32(t[8:])))
	} else {
		ok = false
	}
	r.Actor = str()
	r.Organisation = str()
	r.Roles = list()
	r.Purpose = str()
	r.Action = str()
	r.Outcome = str()
	r.Council = str()
	r.YoungPeople = list()
	r.RequestID = str()
	r.ClientAddress = str()
	if len(b) > 0 { // the reason, present only when there is one
		if r.Reason = str(); r.Reason == "" {
			ok = false
		}
	}
	return r, ok && len(b) == 0
}

// TestCanonicalGoldenWithReason pins the encoding of a refusal, whose reason follows every
// field of the first layout.
func TestCanonicalGoldenWithReason(t *testing.T) {
	r := Seal(nil, Record{
		Chain: "org-1", Time: time.Date(2026, time.January, 2, 3, 4, 5, 6000, time.UTC),
		Actor: "person-1", Organisation: "org-1", Roles: []string{"PARTNER_OFFICER"},
		Purpose: "HOUSING", Action: "carepath.v1.PartnerService/GetSharedYoungPerson",
		Outcome: "PERMISSION_DENIED", Reason: "not shared", YoungPeople: []string{"yp-1"},
		RequestID: "req-1", ClientAddress: "192.0.2.1",
	})
	const want = "fc340e4009b7d5918e6724c7061fa5db4f1984cf90f416d58dd7c1ef769b69fd" // agrees with an independent Python implementation of the layout
	if got := hex.EncodeToString(r.Hash); got != want {
		t.Errorf("Hash of the golden refusal = %s, want %s", got, want)
	}
}

// TestVerifierAnchors checks records against the seal log and against checkpoints kept
// outside the database.
func TestVerifierAnchors(t *testing.T) {
	type anchored struct {
		seq    int64
		source Source
		forged bool // the anchor's hash is not the record's
	}
	for _, tc := range []struct {
		name    string
		recs    int // the chain as read: its first recs records
		head    int // the latest seal: record head (0: none)
		anchors []anchored
		want    *Problem
	}{
		{"seals and checkpoint agree", 20, 20, []anchored{{5, FromSeal, false}, {12, FromSeal, false}, {20, FromSeal, false},
			{12, FromCheckpoint, false}}, nil},
		{"a seal of the log changed", 20, 20, []anchored{{5, FromSeal, false}, {12, FromSeal, true}, {20, FromSeal, false}},
			&Problem{chain, 12, ReasonSealMismatch}},
		{"the latest seal changed", 20, 20, []anchored{{20, FromSeal, true}}, &Problem{chain, 20, ReasonSealMismatch}},
		{"the checkpoint disagrees: the chain was rewritten", 20, 20, []anchored{{15, FromSeal, false}, {15, FromCheckpoint, true}},
			&Problem{chain, 15, ReasonCheckpointMismatch}},
		{"records cut off, their seals kept", 16, 16, []anchored{{16, FromSeal, false}, {20, FromSeal, false}},
			&Problem{chain, 17, ReasonTailMissing}},
		{"records cut off with their seals: only the checkpoint can tell", 16, 16,
			[]anchored{{16, FromSeal, false}, {18, FromCheckpoint, false}}, &Problem{chain, 17, ReasonTruncated}},
		{"every record and seal removed, a checkpoint kept", 0, 0, []anchored{{3, FromCheckpoint, false}},
			&Problem{chain, 1, ReasonTruncated}},
		{"no seal at all", 20, 0, nil, &Problem{chain, 1, ReasonBeyondHead}},
		{"the latest seal removed", 20, 12, []anchored{{12, FromSeal, false}}, &Problem{chain, 13, ReasonBeyondHead}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := sealedChain(t)[:tc.recs]
			full := sealedChain(t)
			v := NewVerifier(chain)
			for _, a := range tc.anchors {
				h := Head{Chain: chain, Seq: a.seq, Hash: slices.Clone(full[a.seq-1].Hash)}
				if a.forged {
					h.Hash[0] ^= 1
				}
				if p := v.Anchor(h, a.source); p != nil {
					t.Fatalf("Anchor: %v", p)
				}
			}
			var got *Problem
			for _, r := range recs {
				if got = v.Add(r); got != nil {
					break
				}
			}
			if got == nil {
				head := Head{Chain: chain}
				if tc.head > 0 {
					head = headOf(full[:tc.head])
				}
				got = v.Finish(head)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if got == nil && v.Records() != int64(tc.recs) {
				t.Errorf("Records() = %d, want %d", v.Records(), tc.recs)
			}
		})
	}

	v := NewVerifier(chain)
	if p := v.Anchor(Head{Chain: "org-other", Seq: 3}, FromCheckpoint); !reflect.DeepEqual(p, &Problem{chain, 1, ReasonOutOfOrder}) {
		t.Errorf("an anchor of another chain: %v", p)
	}
	v = NewVerifier(chain)
	v.Add(sealedChain(t)[0])
	defer func() {
		if recover() == nil {
			t.Error("an anchor behind the records added was accepted without being checked")
		}
	}()
	v.Anchor(Head{Chain: chain, Seq: 1}, FromSeal)
}

func TestNormalizeUnseals(t *testing.T) {
	r := Normalize(sealedChain(t)[4])
	if r.Sealed() || r.Seq != 0 || r.PrevHash != nil || r.Hash != nil {
		t.Errorf("Normalize kept the seal: %+v", r)
	}
	if !sealedChain(t)[4].Sealed() {
		t.Error("a sealed record does not say so")
	}
}

// SealBatch seals interleaved chains as sealing each record in turn would, going on from
// each chain's last sealed record, and reports the new head of each chain it extended.
func TestSealBatch(t *testing.T) {
	recs := sealedChain(t)
	other := Seal(nil, Record{Chain: "org-other", Time: epoch, Actor: "person-9"})
	batch := []Record{Normalize(recs[10]), {Chain: "org-other", Time: epoch.Add(time.Second), Actor: "person-9"},
		Normalize(recs[11]), Normalize(recs[12])}
	now := epoch.Add(time.Hour + 500*time.Nanosecond)
	sealed, heads := SealBatch(map[string]Head{chain: headOf(recs[:10]), "org-other": {Chain: "org-other", Seq: 1, Hash: other.Hash}}, batch, now)
	want := []Record{recs[10], Seal(&other, batch[1]), recs[11], recs[12]}
	if !reflect.DeepEqual(sealed, want) {
		t.Errorf("SealBatch sealed\n%+v\nwant\n%+v", sealed, want)
	}
	wantHeads := []Head{{Chain: chain, Seq: 13, Hash: recs[12].Hash, Time: now.Truncate(time.Microsecond)},
		{Chain: "org-other", Seq: 2, Hash: want[1].Hash, Time: now.Truncate(time.Microsecond)}}
	if !reflect.DeepEqual(heads, wantHeads) {
		t.Errorf("heads %+v, want %+v", heads, wantHeads)
	}
	if sealed, heads := SealBatch(nil, []Record{batch[1]}, now); sealed[0].Seq != 1 || len(heads) != 1 {
		t.Errorf("a chain with nothing sealed starts at 1: %+v %+v", sealed, heads)
	}
}
