package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/carepath/carepath/internal/demo"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The `carepath dev-token` roles the tool acts as: the demo's people, so that the
// development issuer mints their tokens.
const (
	roleAdmin       = "admin"
	roleTeamManager = "team-manager"
	roleAdviser     = "personal-adviser"
	roleHousing     = "housing-partner"
)

// seedPrefix starts the case reference of every young person the tool seeds; the i-th is
// seedPrefix followed by i in six digits, which makes seeding resumable and a seeded
// database reusable.
const seedPrefix = "LOAD-"

// teamAdvisers is how many personal advisers of the team manager's team hold the seeded
// caseloads: the demo's Sam Okoro and load-adviser-1 to -7. One young person in ten is
// not yet allocated, which a team manager also sees.
const teamAdvisers = 8

// seedNamespace makes the request ids of seeding deterministic, so that a seeding that is
// run again creates nothing twice.
var seedNamespace = uuid.MustParse("6f1c7a52-3f0e-4b8e-9d41-0c2b7e5a9d13")

// seeded is what the calls work on.
type seeded struct {
	council string
	partner string
	ids     []string // the seeded young people; the team manager sees them all
	shared  []string // those shared with the housing partner
	// milestones is the mean number of milestones on a seeded young person's pathway.
	milestones float64
}

// tokens holds a development token per role.
type tokens map[string]string

func mintTokens(ctx context.Context, bin string) (tokens, error) {
	out := tokens{}
	for _, role := range []string{roleAdmin, roleTeamManager, roleAdviser, roleHousing} {
		token, err := carepathCommand(ctx, bin, nil, "dev-token", "--ttl", "72h", role)
		if err != nil {
			return nil, err
		}
		out[role] = token
	}
	return out, nil
}

// bearer sends a token with every gRPC call, over a plaintext loopback connection.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearer) RequireTransportSecurity() bool { return false }

func dial(addr, token string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(bearer(token))}, opts...)...)
}

// seedCouncil makes sure the database holds the demo council with its team manager, team
// of advisers and housing partner, and n young people created through carepath's API (with
// a care episode each, so planned pathways, readiness and reminder schedules as the
// service makes them; some shared with the housing partner). What an earlier run seeded
// is kept.
func seedCouncil(ctx context.Context, cfg config, bin string, env []string, dbURL, dir string, today time.Time,
	progress func(string, ...any)) (*seeded, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	s := &seeded{council: demo.CouncilID, partner: demo.HousingPartner}
	var councilExists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1)`, s.council).Scan(&councilExists); err != nil {
		return nil, err
	}
	if !councilExists {
		if _, err := carepathCommand(ctx, bin, env, "setup", "--council", s.council, "--council-name",
			"Nottinghamshire County Council", "--admin", demo.DevPrincipals[roleAdmin], "--admin-name", "Ada Admin"); err != nil {
			return nil, err
		}
	}
	missing, err := missingYoungPeople(ctx, conn, s.council, cfg.youngPeople)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		progress("seeding %d young people through carepath's API (%d already there)", len(missing), cfg.youngPeople-len(missing))
		started := time.Now()
		if err := seedThroughAPI(ctx, cfg, bin, env, dir, today, s, missing, conn, progress); err != nil {
			return nil, err
		}
		progress("seeded in %s", time.Since(started).Round(time.Second))
		// Fresh statistics, as autovacuum would give a database in use.
		if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
			return nil, err
		}
	} else {
		progress("reusing the %d young people already seeded", cfg.youngPeople)
	}
	return s, s.load(ctx, conn, cfg.youngPeople)
}

func reference(i int) string { return fmt.Sprintf("%s%06d", seedPrefix, i) }

// missingYoungPeople lists which of the n seeded young people the database lacks.
func missingYoungPeople(ctx context.Context, conn *pgx.Conn, council string, n int) ([]int, error) {
	rows, err := conn.Query(ctx, `SELECT case_reference FROM young_people WHERE council_id = $1 AND case_reference LIKE $2`,
		council, seedPrefix+"%")
	if err != nil {
		return nil, err
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	present := map[string]bool{}
	for _, ref := range have {
		present[ref] = true
	}
	var missing []int
	for i := range n {
		if !present[reference(i)] {
			missing = append(missing, i)
		}
	}
	return missing, nil
}

// load reads the ids of the first n seeded young people, those shared with the partner,
// and how many milestones their pathways hold.
func (s *seeded) load(ctx context.Context, conn *pgx.Conn, n int) error {
	refs := make([]string, n)
	for i := range refs {
		refs[i] = reference(i)
	}
	rows, err := conn.Query(ctx, `SELECT id::text FROM young_people WHERE council_id = $1 AND case_reference = ANY($2)
		ORDER BY case_reference`, s.council, refs)
	if err != nil {
		return err
	}
	if s.ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return err
	}
	if len(s.ids) != n {
		return fmt.Errorf("found %d of the %d seeded young people", len(s.ids), n)
	}
	rows, err = conn.Query(ctx, `SELECT DISTINCT young_person_id::text FROM shares WHERE partner_id = $1
		AND withdraw_time IS NULL AND expiry_date > current_date AND young_person_id = ANY($2::uuid[])`, s.partner, s.ids)
	if err != nil {
		return err
	}
	if s.shared, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return err
	}
	var milestones int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM milestones WHERE young_person_id = ANY($1::uuid[])`, s.ids).Scan(&milestones); err != nil {
		return err
	}
	s.milestones = float64(milestones) / float64(n)
	return nil
}

// seedThroughAPI starts carepath for seeding alone (the measured server starts afresh,
// so its idle memory is idle) and creates what is missing.
func seedThroughAPI(ctx context.Context, cfg config, bin string, env []string, dir string, today time.Time, s *seeded,
	missing []int, conn *pgx.Conn, progress func(string, ...any)) error {
	srv, err := startProcess(ctx, "carepath (seeding)", dir+"/carepath-seed.log", bin, []string{"serve"}, env)
	if err != nil {
		return err
	}
	defer srv.stop()
	tok, err := mintTokens(ctx, bin)
	if err != nil {
		return err
	}
	admin, err := dial(srv.grpcAddr, tok[roleAdmin])
	if err != nil {
		return err
	}
	defer admin.Close()
	if err := seedAccess(ctx, admin, s, today); err != nil {
		return fmt.Errorf("seeding the council's people and partner: %w", err)
	}
	manager, err := dial(srv.grpcAddr, tok[roleTeamManager])
	if err != nil {
		return err
	}
	defer manager.Close()
	var done atomic.Int64
	started := time.Now()
	// Statistics kept fresh as the council grows, as autovacuum would (test servers often
	// run without it): without them the planner keeps its plans for empty tables and
	// seeding slows down more with every young person.
	analyze := make(chan struct{})
	stopAnalyze, analyzed := make(chan struct{}), make(chan struct{})
	defer func() { close(stopAnalyze); <-analyzed }() // the connection is not for two at once
	go func() {
		defer close(analyzed)
		for {
			select {
			case <-analyze:
				if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
					progress("ANALYZE while seeding: %v", err)
				}
			case <-stopAnalyze:
				return
			}
		}
	}()
	next := make(chan int)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(next)
		for _, i := range missing {
			select {
			case next <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range cfg.seedCallers {
		g.Go(func() error {
			for i := range next {
				if err := seedYoungPerson(gctx, manager, s, i, today); err != nil {
					return fmt.Errorf("seeding young person %s: %w", reference(i), err)
				}
				if n := done.Add(1); n%500 == 0 {
					progress("seeded %d of %d (%.0f a second so far)", n, len(missing), float64(n)/time.Since(started).Seconds())
					select {
					case analyze <- struct{}{}:
					default: // one is running
					}
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// ignoreExists lets a seeding that is run again find what it created before.
func ignoreExists(err error) error {
	if status.Code(err) == codes.AlreadyExists {
		return nil
	}
	return err
}

// seedAccess creates, as the council's administrator, the demo's team manager and
// personal adviser (with the rest of their team), the housing partner with its officer,
// and the council's housing sharing agreement with it.
func seedAccess(ctx context.Context, conn *grpc.ClientConn, s *seeded, today time.Time) error {
	access := pb.NewAccessServiceClient(conn)
	_, err := access.CreateOrganisation(ctx, &pb.CreateOrganisationRequest{OrganisationId: s.partner,
		Organisation: &pb.Organisation{DisplayName: "Framework Housing Association", Type: pb.Organisation_HOUSING}})
	if err := ignoreExists(err); err != nil {
		return err
	}
	people := []*pb.CreatePersonRequest{
		{PersonId: demo.DevPrincipals[roleTeamManager], Person: &pb.Person{DisplayName: "Tess Manager",
			Organisation: "organisations/" + s.council, Team: "north", Roles: []pb.Person_Role{pb.Person_TEAM_MANAGER}}},
		{PersonId: demo.DevPrincipals[roleHousing], Person: &pb.Person{DisplayName: "Hana Housing",
			Organisation: "organisations/" + s.partner, Roles: []pb.Person_Role{pb.Person_PARTNER_OFFICER}}},
	}
	for i, id := range advisers() {
		people = append(people, &pb.CreatePersonRequest{PersonId: id, Person: &pb.Person{
			DisplayName: fmt.Sprintf("Load Adviser %d", i), Organisation: "organisations/" + s.council, Team: "north",
			Roles: []pb.Person_Role{pb.Person_PERSONAL_ADVISER}}})
	}
	people[len(people)-teamAdvisers].Person.DisplayName = "Sam Okoro"
	for _, req := range people {
		if _, err := access.CreatePerson(ctx, req); ignoreExists(err) != nil {
			return err
		}
	}
	_, err = pb.NewSharingServiceClient(conn).CreateSharingAgreement(ctx, &pb.CreateSharingAgreementRequest{
		RequestId: uuid.NewSHA1(seedNamespace, []byte("sharing-agreement")).String(),
		SharingAgreement: &pb.SharingAgreement{Council: "organisations/" + s.council, Partner: "organisations/" + s.partner,
			Purpose: pb.SharingAgreement_HOUSING, StartDate: civilDate(today.AddDate(-1, 0, 0)), Reference: "ISA-NCC-HSG-01"},
	})
	return err
}

// advisers are the personal advisers of the team manager's team who hold the caseloads.
func advisers() []string {
	out := []string{demo.AdviserNorth}
	for i := 1; i < teamAdvisers; i++ {
		out = append(out, fmt.Sprintf("load-adviser-%d", i))
	}
	return out
}

// seedYoungPerson creates the i-th young person: aged 13 to 24 (the ages cycle with i),
// in care from 12 to 15 and still looked after, or a care leaver since 18; some
// unaccompanied asylum-seeking, with an EHC plan or a disability, or open to CAMHS; one in
// ten not yet allocated. One in five aged 15 to 21 is shared with the housing partner.
func seedYoungPerson(ctx context.Context, conn *grpc.ClientConn, s *seeded, i int, today time.Time) error {
	ref := reference(i)
	dob := today.AddDate(-13, 0, -(3*365+i*17)%(12*365))
	age := yearsBetween(dob, today)
	yp := &pb.YoungPerson{
		GivenName: "Seed", FamilyName: fmt.Sprintf("Person %d", i), DateOfBirth: civilDate(dob),
		Council: "organisations/" + s.council, CaseReference: ref,
		UnaccompaniedAsylumSeekingChild: i%20 == 0, EhcPlan: i%7 == 0, Disability: i%11 == 0, OpenToCamhs: i%9 == 0,
	}
	if i%10 != 9 {
		yp.PersonalAdviser = "people/" + advisers()[i%teamAdvisers]
	}
	created, err := pb.NewYoungPeopleServiceClient(conn).CreateYoungPerson(ctx, &pb.CreateYoungPersonRequest{
		YoungPerson: yp, RequestId: requestID("young-person", ref)})
	if err != nil {
		return err
	}
	episode := &pb.CareEpisode{StartDate: civilDate(dob.AddDate(min(12+i%4, age-1), 0, 0)), LegalStatus: "C2",
		PlacementType: []string{"U1", "K2", "U4"}[i%3]}
	if age >= 18 {
		episode.EndDate, episode.ReasonEnded = civilDate(dob.AddDate(18, 0, 0)), []string{"E17", "E6", "E5"}[i%3]
	}
	if _, err := pb.NewCareEpisodesServiceClient(conn).CreateCareEpisode(ctx, &pb.CreateCareEpisodeRequest{
		Parent: created.GetName(), CareEpisode: episode, RequestId: requestID("care-episode", ref)}); err != nil {
		return err
	}
	if i%5 != 0 || age < 15 || age > 21 {
		return nil
	}
	basis := pb.Share_REFERRAL
	if age >= 18 {
		basis = pb.Share_CONSENT
	}
	_, err = pb.NewSharingServiceClient(conn).CreateShare(ctx, &pb.CreateShareRequest{Parent: created.GetName(),
		RequestId: requestID("share", ref), Share: &pb.Share{Partner: "organisations/" + s.partner,
			Purpose: pb.SharingAgreement_HOUSING, Basis: basis, ExpiryDate: civilDate(today.AddDate(1, 0, 0))}})
	return err
}

func requestID(kind, ref string) string {
	return uuid.NewSHA1(seedNamespace, []byte(kind+"/"+ref)).String()
}

func civilDate(t time.Time) *date.Date {
	return &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
}

// yearsBetween is the age in whole years on day to of someone born on from.
func yearsBetween(from, to time.Time) int {
	years := to.Year() - from.Year()
	if to.Month() < from.Month() || to.Month() == from.Month() && to.Day() < from.Day() {
		years--
	}
	return years
}

var errNoShared = errors.New("no seeded young person is shared with the housing partner: seed more young people")
