package app

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain"
	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/postgres"
)

// DevRoles are the roles `carepath dev-token` mints tokens for.
func DevRoles() []string {
	roles := make([]string, 0, len(demo.DevPrincipals))
	for r := range demo.DevPrincipals {
		roles = append(roles, r)
	}
	slices.Sort(roles)
	return roles
}

// DevToken mints a development-issuer token for the demo principal of a role.
func DevToken(role string, ttl time.Duration) (string, error) {
	subject, ok := demo.DevPrincipals[role]
	if !ok {
		return "", fmt.Errorf("unknown role %q; use one of %s", role, strings.Join(DevRoles(), ", "))
	}
	return authn.DevToken(subject, ttl, time.Now())
}

// Registered says what Setup found and what it added.
type Registered struct {
	CouncilAdded, AdminAdded bool
}

// Setup registers a council and its first administrator in the database (`carepath setup`):
// councils are set up with the deployment, not over the API. It may run again: what is
// there already is left as it is, but a council id that is another kind of organisation, or
// an administrator id that is someone else's, is refused.
func Setup(ctx context.Context, databaseURL, councilID, councilName, adminID, adminName string, now time.Time) (Registered, error) {
	var out Registered
	err := withDatabase(ctx, databaseURL, func(s store.Store) error {
		return s.InTx(ctx, func(tx store.Tx) error {
			out = Registered{}
			switch o, err := tx.GetOrganisation(ctx, councilID); {
			case err == nil && o.Type != domain.Council:
				return fmt.Errorf("organisation %s is registered already, and is not a council", councilID)
			case errs.KindOf(err) == errs.NotFound:
				if _, err := tx.CreateOrganisation(ctx, domain.Organisation{ID: councilID, DisplayName: councilName,
					Type: domain.Council, CreateTime: now, UpdateTime: now}); err != nil {
					return fmt.Errorf("council %s: %w", councilID, err)
				}
				out.CouncilAdded = true
			case err != nil:
				return err
			}
			switch p, err := tx.GetPerson(ctx, adminID); {
			case err == nil && (p.OrganisationID != councilID || !slices.Contains(p.Roles, domain.Administrator)):
				return fmt.Errorf("person %s is registered already, and is not an administrator of %s", adminID, councilID)
			case errs.KindOf(err) == errs.NotFound:
				if _, err := tx.CreatePerson(ctx, domain.Person{ID: adminID, DisplayName: adminName, OrganisationID: councilID,
					Roles: []domain.Role{domain.Administrator}, CreateTime: now, UpdateTime: now}); err != nil {
					return fmt.Errorf("administrator %s: %w", adminID, err)
				}
				out.AdminAdded = true
			case err != nil:
				return err
			}
			return nil
		})
	})
	return out, err
}

// SetupDemo loads the demo into the database (`carepath setup --demo`): its councils,
// partners, people, sharing agreements and the council's pathway settings, and with
// youngPeople the demo young people, dated from today. What is there already is left as it
// is. It returns how many young people it added.
func SetupDemo(ctx context.Context, databaseURL string, youngPeople bool, now time.Time) (int, error) {
	added := 0
	err := withDatabase(ctx, databaseURL, func(s store.Store) (err error) {
		today := civil.Today(now)
		if youngPeople {
			added, err = demo.Load(ctx, s, planner.New(catalogue.Default(), func() time.Time { return now }), today)
			return err
		}
		return s.InTx(ctx, func(tx store.Tx) error { return demo.LoadAccess(ctx, tx, today, now) })
	})
	return added, err
}

// DemoSubjects are the demo people `carepath dev-token` mints tokens for, by role.
func DemoSubjects() map[string]string { return maps.Clone(demo.DevPrincipals) }

// withDatabase opens a migrated database for an administrative command.
func withDatabase(ctx context.Context, databaseURL string, do func(store.Store) error) error {
	s, err := postgres.Open(ctx, databaseURL, postgres.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Ready(ctx); err != nil {
		return err
	}
	return do(s)
}

// VerifyAudit checks every audit chain in the database (`carepath audit verify`), writes what
// it finds to out and reports whether every chain is intact: each sealed record's hash and
// link, every seal of the log against the record it vouches for, the head against the last
// record, and any checkpoints kept outside the database (ReadCheckpoint). It also says how
// many records are not sealed yet, and since when.
func VerifyAudit(ctx context.Context, databaseURL string, out io.Writer, checkpoints ...audit.Head) (bool, error) {
	s, err := postgres.Open(ctx, databaseURL, postgres.Options{})
	if err != nil {
		return false, err
	}
	defer s.Close()
	intact, _, err := verifyChains(ctx, s.InSnapshot, out, checkpoints)
	return intact, err
}

// WriteCheckpoint verifies the trail as VerifyAudit does and, if it is intact, writes the
// head of every chain to cp as a checkpoint to keep outside the database (`carepath audit
// checkpoint`). Nothing is written for a tampered trail: that would vouch for the tampering.
func WriteCheckpoint(ctx context.Context, databaseURL string, out, cp io.Writer, checkpoints ...audit.Head) (bool, error) {
	s, err := postgres.Open(ctx, databaseURL, postgres.Options{})
	if err != nil {
		return false, err
	}
	defer s.Close()
	intact, heads, err := verifyChains(ctx, s.InSnapshot, out, checkpoints)
	if err != nil || !intact {
		return false, err
	}
	enc := json.NewEncoder(cp)
	for _, h := range heads {
		if err := enc.Encode(checkpointLine{Chain: h.Chain, Seq: h.Seq, Hash: hex.EncodeToString(h.Hash), Time: h.Time}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// checkpointLine is one line of a checkpoint: the head of one chain. The sealer's log lines
// ("sealed audit chain") carry the same chain, seq and hash, so a service log is a
// checkpoint too.
type checkpointLine struct {
	Chain string    `json:"chain"`
	Seq   int64     `json:"seq"`
	Hash  string    `json:"hash"`
	Time  time.Time `json:"sealTime,omitzero"`
}

// Checkpoint is the heads a checkpoint vouches for.
type Checkpoint = []audit.Head

// ReadCheckpoint reads the heads in a checkpoint: JSON lines, of which those with a chain, a
// seq and a hash are heads, and others (a service log's other lines) are passed over. A
// head that is malformed, or a file with none, is an error: a checkpoint that vouches for
// nothing must not pass for one.
func ReadCheckpoint(r io.Reader) (Checkpoint, error) {
	var heads []audit.Head
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var line struct {
			Chain *string `json:"chain"`
			Seq   *int64  `json:"seq"`
			Hash  *string `json:"hash"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Chain == nil || line.Seq == nil || line.Hash == nil {
			continue
		}
		h, err := hex.DecodeString(*line.Hash)
		if err != nil || len(h) != sha256.Size || *line.Seq < 1 || *line.Chain == "" {
			return nil, fmt.Errorf("checkpoint line %d: want a chain, a seq from 1 and a SHA-256 hash in hex", n)
		}
		heads = append(heads, audit.Head{Chain: *line.Chain, Seq: *line.Seq, Hash: h})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(heads) == 0 {
		return nil, errors.New("the checkpoint holds no chain heads")
	}
	return heads, nil
}

// verifyPage is how many records and seals verification reads at a time.
const verifyPage = 1000

// verifyChains reads every chain in one snapshot, page by page, without holding it in
// memory, and returns the heads it found with whether all is intact.
func verifyChains(ctx context.Context, snapshot func(context.Context, func(store.Tx) error) error, out io.Writer,
	checkpoints []audit.Head) (intact bool, heads []audit.Head, err error) {
	err = snapshot(ctx, func(tx store.Tx) error {
		intact = true
		chains, err := tx.AuditChains(ctx)
		if err != nil {
			return err
		}
		anchors := map[string][]audit.Head{}
		for _, h := range checkpoints {
			anchors[h.Chain] = append(anchors[h.Chain], h)
			chains = append(chains, h.Chain) // a chain gone from the database is a finding
		}
		slices.Sort(chains)
		if heads, err = tx.AuditHeads(ctx); err != nil {
			return err
		}
		headOf := map[string]audit.Head{}
		for _, h := range heads {
			headOf[h.Chain] = h
		}
		for _, chain := range slices.Compact(chains) {
			head, ok := headOf[chain]
			if !ok {
				head = audit.Head{Chain: chain}
			}
			v := audit.NewVerifier(chain)
			for _, h := range anchors[chain] {
				v.Anchor(h, audit.FromCheckpoint)
			}
			if err := verifyChain(ctx, tx, v); err != nil {
				return err
			}
			if problem := v.Finish(head); problem != nil {
				intact = false
				fmt.Fprintf(out, "chain %s: TAMPERED at record %d: %s\n", chain, problem.Seq, problem.Reason)
				continue
			}
			fmt.Fprintf(out, "chain %s: %d records intact", chain, v.Records())
			if n := len(anchors[chain]); n > 0 {
				fmt.Fprintf(out, ", agreeing with %d checkpoint heads", n)
			}
			fmt.Fprintln(out)
		}
		stranded, err := tx.AuditStranded(ctx)
		if err != nil {
			return err
		}
		if stranded.Unqueued > 0 {
			intact = false
			fmt.Fprintf(out, "%d records are neither sealed nor waiting to be: TAMPERED (taken off the queue of unsealed records)\n", stranded.Unqueued)
		}
		if stranded.Gone > 0 {
			intact = false
			fmt.Fprintf(out, "%d records waiting to be sealed are gone: TAMPERED (removed before they were sealed)\n", stranded.Gone)
		}
		backlog, err := tx.AuditBacklog(ctx, "")
		if err != nil {
			return err
		}
		if backlog.Unsealed == 0 {
			fmt.Fprintln(out, "every record is sealed")
		} else {
			fmt.Fprintf(out, "%d records not sealed yet; the oldest was written at %s (%s ago)\n", backlog.Unsealed,
				backlog.Oldest.Format(time.RFC3339), backlog.Lag(time.Now()).Round(time.Second)) // the operator's clock
		}
		return nil
	})
	return intact, heads, err
}

// verifyChain feeds v the chain's sealed records and, before each page of them, the seals
// of the log that vouch for records of that page; then the first seal beyond the last
// record, if any.
func verifyChain(ctx context.Context, tx store.Tx, v *audit.Verifier) error {
	var pending []audit.Head // seals read but not yet fed
	var sealsAfter int64
	sealsDone := false
	feedSeals := func(upTo int64) error {
		for {
			for len(pending) > 0 && pending[0].Seq <= upTo {
				v.Anchor(pending[0], audit.FromSeal)
				pending = pending[1:]
			}
			if len(pending) > 0 || sealsDone {
				return nil
			}
			page, err := tx.ReadAuditSeals(ctx, v.Chain(), sealsAfter, verifyPage)
			if err != nil {
				return err
			}
			if len(page) < verifyPage {
				sealsDone = true
			}
			if len(page) > 0 {
				sealsAfter = page[len(page)-1].Seq
			}
			pending = page
		}
	}
	for after := int64(0); ; {
		page, err := tx.ReadAuditChain(ctx, v.Chain(), after, verifyPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		if err := feedSeals(page[len(page)-1].Seq); err != nil {
			return err
		}
		for _, r := range page {
			if v.Add(r) != nil {
				return nil
			}
		}
		if len(page) < verifyPage {
			break
		}
		after = page[len(page)-1].Seq
	}
	// A seal beyond the last record says records are missing: one is enough to tell.
	if err := feedSeals(v.Records()); err != nil {
		return err
	}
	if len(pending) > 0 {
		v.Anchor(pending[0], audit.FromSeal)
	}
	return nil
}

// GrantApp gives the service's database role what it needs and nothing more (`carepath
// migrate --app-role`); run it as the role that owns the tables.
func GrantApp(ctx context.Context, databaseURL, role string) error {
	return postgres.GrantApp(ctx, databaseURL, role)
}
