// Package catalogue implements carepath.v1.CatalogueService: the milestone catalogue,
// read-only, and councils' pathway settings.
package catalogue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.einride.tech/aip/fieldmask"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/domain"
	cat "github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/measure"
	rd "github.com/carepath/carepath/internal/domain/readiness"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/internal/store"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/internal/convert"
	"github.com/carepath/carepath/services/internal/listing"
)

// Server implements CatalogueService.
type Server struct {
	pb.UnimplementedCatalogueServiceServer
	store   store.Store
	planner *planner.Planner
	now     func() time.Time
	// settingsChanged is told when a council's settings change, so that its pathways are
	// replanned soon rather than at the next periodic sweep.
	settingsChanged func()
}

// New returns the service.
func New(s store.Store, p *planner.Planner, now func() time.Time, settingsChanged func()) *Server {
	return &Server{store: s, planner: p, now: now, settingsChanged: settingsChanged}
}

const (
	definitionPrefix   = "milestoneDefinitions/"
	organisationPrefix = "organisations/"
)

func definitionToProto(d cat.Definition) *pb.MilestoneDefinition {
	out := &pb.MilestoneDefinition{
		Name:        definitionPrefix + d.Key,
		Key:         d.Key,
		Title:       d.Title,
		Description: d.Description,
		Area:        pb.MilestoneDefinition_Area(pb.MilestoneDefinition_Area_value[string(d.Area)]),
		Owner:       pb.MilestoneDefinition_AgencyType(pb.MilestoneDefinition_AgencyType_value[string(d.Owner)]),
		DueRule:     d.Due.String(),
		Statutory:   d.Statutory,
		Basis:       d.Basis,
		Sources:     d.Sources,
		Local:       d.Local,
	}
	out.Ambitions = d.Ambitions
	for _, c := range d.Applies {
		out.AppliesWhen = append(out.AppliesWhen, c.String())
	}
	return out
}

// catalogueFor returns the shipped catalogue, or the council's effective one.
func (s *Server) catalogueFor(ctx context.Context, council string) (*cat.Catalogue, error) {
	if council == "" {
		return s.planner.Catalogue(), nil
	}
	var c planner.Council
	err := s.store.InTx(ctx, func(tx store.Tx) (err error) {
		c, err = s.planner.Council(ctx, tx, strings.TrimPrefix(council, organisationPrefix))
		return err
	})
	return c.Catalogue, err
}

func (s *Server) GetMilestoneDefinition(ctx context.Context, req *pb.GetMilestoneDefinitionRequest) (*pb.MilestoneDefinition, error) {
	c, err := s.catalogueFor(ctx, req.GetCouncil())
	if err != nil {
		return nil, err
	}
	d, ok := c.Lookup(strings.TrimPrefix(req.GetName(), definitionPrefix))
	if !ok {
		return nil, errs.New(errs.NotFound, errs.ReasonResourceNotFound, "no milestone definition has this key; ListMilestoneDefinitions lists them, and a council's own (local.) keys need its council")
	}
	return definitionToProto(d), nil
}

func (s *Server) ListMilestoneDefinitions(ctx context.Context, req *pb.ListMilestoneDefinitionsRequest) (*pb.ListMilestoneDefinitionsResponse, error) {
	c, err := s.catalogueFor(ctx, req.GetCouncil())
	if err != nil {
		return nil, err
	}
	after, err := pagetoken.Decode(req.GetPageToken(), req.GetCouncil())
	if err != nil {
		return nil, err
	}
	defs, next := listing.PageOf(c.Definitions, after, listing.PageSize(req.GetPageSize()),
		func(d cat.Definition) string { return d.Key }, req.GetCouncil())
	resp := &pb.ListMilestoneDefinitionsResponse{CatalogueVersion: c.Version, NextPageToken: next}
	for _, d := range defs {
		resp.MilestoneDefinitions = append(resp.MilestoneDefinitions, definitionToProto(d))
	}
	return resp, nil
}

func settingsName(councilID string) string {
	return organisationPrefix + councilID + "/pathwaySettings"
}

func settingsToProto(s domain.PathwaySettings) *pb.PathwaySettings {
	out := &pb.PathwaySettings{
		Name:         settingsName(s.CouncilID),
		LeaplingRule: convert.LeaplingRule(s.LeaplingRule),
		Etag:         convert.Etag(s.Revision),
	}
	if s.Revision != 0 {
		out.UpdateTime = timestamppb.New(s.UpdateTime)
	}
	for _, o := range s.Overrides {
		po := &pb.PathwaySettings_Override{Key: o.Key, Disabled: o.Disabled}
		if o.Due != nil {
			po.DueRule = o.Due.String()
		}
		out.Overrides = append(out.Overrides, po)
	}
	for _, d := range s.Local {
		out.LocalMilestones = append(out.LocalMilestones, definitionToProto(d))
	}
	for _, a := range s.Ambitions {
		out.Ambitions = append(out.Ambitions, &pb.Ambition{Key: a.Key, Title: a.Title, Milestones: a.Milestones, Checks: a.Checks})
	}
	for _, m := range s.Measures {
		out.LocalMeasures = append(out.LocalMeasures, &pb.LocalMeasure{Key: m.Key, Title: m.Title,
			OfstedGroup: pb.OfstedGroup(pb.OfstedGroup_value["OFSTED_GROUP_"+m.Ofsted]), Definition: m.Definition,
			Numerator: m.Numerator, Denominator: m.Denominator, Source: m.Source, LowerIsBetter: m.LowerIsBetter,
			Ages: m.Ages, CohortMilestone: m.CohortMilestone, Achieved: m.Achieved, ByAge: m.ByAge, Within: m.Within,
			Fact: m.Fact, Overdue: m.Overdue, GreenAtReview: m.GreenAtReview})
	}
	if r := s.Reminders; r != nil {
		out.ReminderRules = &pb.ReminderRules{OnDue: r.OnDue, EscalateAfterDays: int32(r.EscalateAfterDays), SendAt: r.SendAt.String()}
		for _, d := range r.LeadDays {
			out.ReminderRules.LeadDays = append(out.ReminderRules.LeadDays, int32(d))
		}
		for _, a := range r.AgeNotices {
			out.ReminderRules.AgeNotices = append(out.ReminderRules.AgeNotices, a.String())
		}
	}
	return out
}

// reminderRulesFromProto reads a council's reminder rules; the domain checks their values.
func reminderRulesFromProto(in *pb.ReminderRules, v *errs.Violations) *cat.ReminderRules {
	if in == nil {
		return nil
	}
	out := &cat.ReminderRules{OnDue: in.GetOnDue(), EscalateAfterDays: int(in.GetEscalateAfterDays()), SendAt: cat.DefaultSendAt}
	for _, d := range in.GetLeadDays() {
		out.LeadDays = append(out.LeadDays, int(d))
	}
	for i, a := range in.GetAgeNotices() {
		p, err := civil.ParsePeriod(a)
		if err != nil {
			v.Add(fmt.Sprintf("pathway_settings.reminder_rules.age_notices[%d]", i), err.Error())
		}
		out.AgeNotices = append(out.AgeNotices, p)
	}
	if in.GetSendAt() != "" {
		t, err := cat.ParseTimeOfDay(in.GetSendAt())
		if err != nil {
			v.Add("pathway_settings.reminder_rules.send_at", err.Error())
		}
		out.SendAt = t
	}
	return out
}

// settingsFromProto reads settings; field paths in violations are within the request.
func settingsFromProto(in *pb.PathwaySettings) (cat.Settings, error) {
	out := cat.Settings{LeaplingRule: convert.FromLeaplingRule(in.GetLeaplingRule())}
	var v errs.Violations
	for i, o := range in.GetOverrides() {
		ov := cat.Override{Key: o.GetKey(), Disabled: o.GetDisabled()}
		if o.GetDueRule() != "" {
			r, err := cat.ParseDueRule(o.GetDueRule())
			if err != nil {
				v.Add(fmt.Sprintf("pathway_settings.overrides[%d].due_rule", i), err.Error())
			}
			ov.Due = &r
		}
		out.Overrides = append(out.Overrides, ov)
	}
	for i, d := range in.GetLocalMilestones() {
		field := fmt.Sprintf("pathway_settings.local_milestones[%d]", i)
		def := cat.Definition{Key: d.GetKey(), Title: d.GetTitle(), Description: d.GetDescription(),
			Area: cat.Area(d.GetArea().String()), Owner: cat.Owner(d.GetOwner().String()), Basis: d.GetBasis(),
			Sources: d.GetSources(), Local: true}
		var err error
		if def.Due, err = cat.ParseDueRule(d.GetDueRule()); err != nil {
			v.Add(field+".due_rule", err.Error())
		}
		for j, a := range d.GetAppliesWhen() {
			c, err := cat.ParseCondition(a)
			if err != nil {
				v.Add(fmt.Sprintf("%s.applies_when[%d]", field, j), err.Error())
			}
			def.Applies = append(def.Applies, c)
		}
		out.Local = append(out.Local, def)
	}
	out.Reminders = reminderRulesFromProto(in.GetReminderRules(), &v)
	for i, a := range in.GetAmbitions() {
		out.Ambitions = append(out.Ambitions, cat.Ambition{Key: a.GetKey(), Title: a.GetTitle(), Milestones: a.GetMilestones(), Checks: a.GetChecks()})
		for j, check := range a.GetChecks() {
			if _, ok := rd.LookupCheck(check); !ok {
				v.Add(fmt.Sprintf("pathway_settings.ambitions[%d].checks[%d]", i, j), "is not a cliff-edge check")
			}
		}
	}
	for i, m := range in.GetLocalMeasures() {
		spec := cat.MeasureSpec{Key: m.GetKey(), Title: m.GetTitle(),
			Ofsted: strings.TrimPrefix(m.GetOfstedGroup().String(), "OFSTED_GROUP_"), Definition: m.GetDefinition(),
			Numerator: m.GetNumerator(), Denominator: m.GetDenominator(), Source: m.GetSource(), LowerIsBetter: m.GetLowerIsBetter(),
			Ages: m.GetAges(), CohortMilestone: m.GetCohortMilestone(), Achieved: m.GetAchieved(), ByAge: m.GetByAge(),
			Within: m.GetWithin(), Fact: m.GetFact(), Overdue: m.GetOverdue(), GreenAtReview: m.GetGreenAtReview()}
		if _, err := measure.Spec(spec).Measure(); err != nil {
			field := fmt.Sprintf("pathway_settings.local_measures[%d]", i)
			var e *errs.Error
			if !errors.As(err, &e) {
				e = errs.Invalid(errs.Violation{Description: err.Error()})
			}
			for _, x := range e.Violations {
				if x.Field != "" { // "" is the measure as a whole
					v.Add(field+"."+x.Field, x.Description)
				} else {
					v.Add(field, x.Description)
				}
			}
		}
		out.Measures = append(out.Measures, spec)
	}
	return out, v.Err()
}

// checkLocalMeasures checks the council's own measures against the milestones its settings
// give its pathways and the facts carepath records.
func checkLocalMeasures(s cat.Settings, effective *cat.Catalogue) error {
	ms := make([]measure.Measure, 0, len(s.Measures))
	for _, spec := range s.Measures {
		m, _ := measure.Spec(spec).Measure() // settingsFromProto refused those that do not read
		ms = append(ms, m)
	}
	var v errs.Violations
	for _, p := range measure.CheckLocal(ms, measure.Default(),
		func(key string) bool { _, ok := effective.Lookup(key); return ok },
		func(key string) bool { _, ok := rd.LookupFact(key); return ok }) {
		v.Add(fmt.Sprintf("pathway_settings.local_measures[%d].%s", p.Index, p.Field), p.Description)
	}
	return v.Err()
}

// errNotYourCouncil refuses settings of a council other than the caller's.
var errNotYourCouncil = errs.New(errs.PermissionDenied, errs.ReasonAccessDenied,
	"you may see and change the pathway settings of your own council only")

func (s *Server) GetPathwaySettings(ctx context.Context, req *pb.GetPathwaySettingsRequest) (*pb.PathwaySettings, error) {
	ids, err := convert.ParseSingleton("name", req.GetName(), "pathwaySettings", "organisations")
	if err != nil {
		return nil, err
	}
	if access.Caller(ctx).Organisation != ids[0] {
		return nil, errNotYourCouncil
	}
	var out domain.PathwaySettings
	err = s.store.InRead(ctx, func(tx store.Tx) (err error) {
		out, err = tx.GetPathwaySettings(ctx, ids[0])
		return err
	})
	if err != nil {
		return nil, err
	}
	return settingsToProto(out), nil
}

func (s *Server) UpdatePathwaySettings(ctx context.Context, req *pb.UpdatePathwaySettingsRequest) (*pb.PathwaySettings, error) {
	in := req.GetPathwaySettings()
	ids, err := convert.ParseSingleton("pathway_settings.name", in.GetName(), "pathwaySettings", "organisations")
	if err != nil {
		return nil, err
	}
	if access.Caller(ctx).Organisation != ids[0] {
		return nil, errNotYourCouncil
	}
	ifRevision, err := convert.ParseEtag(in.GetEtag())
	if err != nil {
		return nil, err
	}
	var out domain.PathwaySettings
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetPathwaySettings(ctx, ids[0])
		if err != nil {
			return err
		}
		if err := store.CheckRevision(ifRevision, cur.Revision); err != nil {
			return err
		}
		merged := settingsToProto(cur)
		mask, err := listing.Changes("pathway_settings", req.GetUpdateMask(), in, merged)
		if err != nil {
			return err
		}
		fieldmask.Update(mask, merged, in)
		next, err := settingsFromProto(merged)
		if err != nil {
			return err
		}
		// Refuse settings that do not fit the catalogue: unknown keys, dangling rules.
		effective, err := s.planner.Catalogue().Effective(next)
		if err != nil {
			return errs.Prefixed(err, "pathway_settings")
		}
		if err := checkLocalMeasures(next, effective); err != nil {
			return err
		}
		out, err = tx.PutPathwaySettings(ctx, domain.PathwaySettings{CouncilID: ids[0], Settings: next, UpdateTime: s.now()}, cur.Revision)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.settingsChanged()
	return settingsToProto(out), nil
}
