package reminder

import (
	"slices"
	"strings"

	"github.com/carepath/carepath/internal/domain"
)

// GapKind is the kind of a routing gap.
type GapKind string

const (
	// TeamWithoutManager is a team with personal advisers (or their young people) and no
	// enabled team manager: escalations about its young people go back to their own
	// adviser, and the young people of its advisers who have left reach no one.
	TeamWithoutManager GapKind = "TEAM_WITHOUT_MANAGER"
	// AdviserWithoutTeam is a personal adviser in no team: no team manager sees their
	// caseload, so the same happens.
	AdviserWithoutTeam GapKind = "ADVISER_WITHOUT_TEAM"
)

// Gap is a hole in who the reminders about a council's young people reach, for the
// council's administrator to fix (give the team a manager, or the adviser a team).
type Gap struct {
	Kind GapKind
	// Team is the team ("" for an adviser in none).
	Team string
	// Advisers are the personal advisers concerned, by id, disabled ones included.
	Advisers []string
	// YoungPeople is how many young people are allocated to them.
	YoungPeople int
}

// RoutingGaps finds the gaps among a council's people, given how many young people are
// allocated to each personal adviser. An adviser who has left with no one allocated is no
// gap, nor is a team of such advisers.
func RoutingGaps(people []domain.Person, caseloads map[string]int) []Gap {
	teams := map[string]*Gap{}
	managed := map[string]bool{}
	var out []Gap
	for _, p := range people {
		switch {
		case p.Has(domain.TeamManager) && !p.Disabled && p.Team != "":
			managed[p.Team] = true
		case !p.Has(domain.PersonalAdviser) || p.Disabled && caseloads[p.ID] == 0:
		case p.Team == "":
			out = append(out, Gap{Kind: AdviserWithoutTeam, Advisers: []string{p.ID}, YoungPeople: caseloads[p.ID]})
		default:
			g := teams[p.Team]
			if g == nil {
				g = &Gap{Kind: TeamWithoutManager, Team: p.Team}
				teams[p.Team] = g
			}
			g.Advisers = append(g.Advisers, p.ID)
			g.YoungPeople += caseloads[p.ID]
		}
	}
	for team, g := range teams {
		if !managed[team] {
			slices.Sort(g.Advisers)
			out = append(out, *g)
		}
	}
	slices.SortFunc(out, func(a, b Gap) int {
		if c := strings.Compare(string(b.Kind), string(a.Kind)); c != 0 {
			return c // teams first
		}
		if c := strings.Compare(a.Team, b.Team); c != 0 {
			return c
		}
		return strings.Compare(a.Advisers[0], b.Advisers[0])
	})
	return out
}
