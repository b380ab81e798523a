package ssda903return

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/ssda903"
)

// Generated is a synthetic return and the children whose rows were made bad on purpose.
type Generated struct {
	Tables Tables
	// Bad are the children with a bad row, with what was done to it.
	Bad map[string]string
}

// Generate writes a synthetic return of a collection year for n children, made up from the
// seed: ages from 5 to 19 at the year's end, most of them teenagers; care orders, section
// 20, interim orders, placement orders and remands; placement moves; planned short breaks
// (V3, V4); unaccompanied asylum-seeking children; and leavers, home, to independent living
// or staying put at 18. bad children get one bad row each: an unknown code, an episode
// before birth, overlapping episodes or an impossible date. Every episode has a day in the
// year, as in a real return.
func Generate(n int, seed uint64, bad int, year CollectionYear) Generated {
	r := rand.New(rand.NewPCG(seed, seed^0x903))
	g := Generated{Tables: Tables{ssda903.Header: nil, ssda903.Episodes: nil, ssda903.UASC: nil}, Bad: map[string]string{}}
	for i := range n {
		g.child(r, fmt.Sprintf("C%07d", i+1), year)
	}
	g.spoil(r, bad)
	return g
}

var (
	ethnicities = []string{"WBRI", "WBRI", "WBRI", "WIRI", "WOTH", "MWBC", "MWBA", "MWAS", "AIND", "APKN", "BCRB", "BAFR", "CHNE", "OOTH", "REFU"}
	fosterings  = []string{"U1", "U3", "U4", "U5", "U6", "U6", "U6", "U4"}
	needs       = []string{"N1", "N1", "N1", "N2", "N3", "N4", "N4", "N5", "N6", "N7", "N8"}
	providers   = []string{"PR1", "PR1", "PR2", "PR4", "PR4", "PR5"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (g *Generated) child(r *rand.Rand, id string, year CollectionYear) {
	age := 5 + r.IntN(15)
	if r.IntN(3) > 0 {
		age = 13 + r.IntN(7) // most are teenagers: carepath's cohort
	}
	dob := year.Last().Sub(civil.Period{Years: age, Days: r.IntN(365)}, civil.MarchFirst)
	sex := fmt.Sprint(1 + r.IntN(2))
	upn := ""
	if r.IntN(4) > 0 {
		upn = fmt.Sprintf("%c%012d", 'A'+rune(r.IntN(26)), r.Int64N(1e12))
	}
	uasc := age >= 15 && r.IntN(12) == 0
	var rows [][]string
	if !uasc && r.IntN(20) == 0 {
		rows = shortBreaks(r, id, dob, year)
	} else {
		rows = careSpell(r, id, dob, year, uasc)
	}
	for len(rows) == 0 {
		// Not looked after in the year (18 before it began): a leaver at 18 during it instead.
		dob = year.First().AddDays(1+r.IntN(300)).Sub(civil.Period{Years: 18}, civil.MarchFirst)
		rows = careSpell(r, id, dob, year, uasc)
	}
	g.Tables[ssda903.Header] = append(g.Tables[ssda903.Header],
		[]string{id, sex, ssda903.FormatDate(dob), pick(r, ethnicities), upn, "", ""})
	if uasc {
		g.Tables[ssda903.UASC] = append(g.Tables[ssda903.UASC],
			[]string{id, sex, ssda903.FormatDate(dob), ssda903.FormatDate(dob.Add(civil.Period{Years: 18}, civil.MarchFirst))})
	}
	g.Tables[ssda903.Episodes] = append(g.Tables[ssda903.Episodes], rows...)
}

// shortBreaks is a year of planned short breaks (V3 or V4) of a few days each.
func shortBreaks(r *rand.Rand, id string, dob civil.Date, year CollectionYear) [][]string {
	ls := pick(r, []string{"V3", "V4"})
	var rows [][]string
	day := year.First().AddDays(r.IntN(30))
	for day.Before(year.Last().AddDays(-10)) {
		end := day.AddDays(2 + r.IntN(4))
		rows = append(rows, episodeRow(r, id, day, end, "B", ls, "U6", "E13", ""))
		day = end.AddDays(20 + r.IntN(40))
	}
	return rows
}

// careSpell is one period of care with its placement moves, from its start (up to five
// years before the year's end, never before birth) to an end in the year or after it.
func careSpell(r *rand.Rand, id string, dob civil.Date, year CollectionYear, uasc bool) [][]string {
	startBy := year.Last().AddDays(-20)
	earliest := later(dob.AddDays(1), year.Last().Sub(civil.Period{Years: 5}, civil.MarchFirst))
	if uasc {
		earliest = later(earliest, dob.Add(civil.Period{Years: 14}, civil.MarchFirst))
	}
	eighteen := dob.Add(civil.Period{Years: 18}, civil.MarchFirst)
	if latest := eighteen.AddDays(-30); latest.Before(startBy) {
		startBy = latest
	}
	if startBy.Before(earliest) {
		return nil
	}
	span := earliest.DaysUntil(startBy)
	start := earliest.AddDays(r.IntN(max(span, 1)))
	ls := pick(r, []string{"C2", "C2", "C2", "C2", "V2", "V2", "C1", "E1", "J2"})
	if uasc {
		ls = "V2"
	}
	var rows [][]string
	rne := pick(r, []string{"S", "S", "L"})
	for {
		end := start.AddDays(60 + r.IntN(600))
		rec, why := "X1", pick(r, []string{"CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "OTHER"})
		place := pick(r, fosterings)
		if age(dob, start) >= 16 && r.IntN(3) == 0 {
			place = pick(r, []string{"H5", "K2", "K3"})
		}
		switch {
		case !end.Before(eighteen):
			end, rec, why = eighteen, pick(r, []string{"E17", "E5", "E6", "E8"}), ""
		case r.IntN(6) == 0:
			rec, why = pick(r, []string{"E4A", "E4B", "E13", "E45", "E41", "E8"}), ""
		}
		if end.After(year.Last()) {
			rows = append(rows, episodeRow(r, id, start, civil.Date{}, rne, ls, place, "", ""))
			break
		}
		if end.After(year.First()) {
			rows = append(rows, episodeRow(r, id, start, end, rne, ls, place, rec, why))
		}
		if rec != "X1" {
			if end.Before(year.First()) || !end.After(year.First()) {
				// Care ended before the year: bring the child back into care in it.
				start, rne = year.First().AddDays(r.IntN(200)), "S"
				if !start.Before(eighteen) {
					return rows
				}
				continue
			}
			break
		}
		start, rne = end, pick(r, []string{"P", "P", "T", "U", "B"})
		if rne == "T" || rne == "U" {
			rne = "P"
		}
	}
	return rows
}

func episodeRow(r *rand.Rand, id string, start, end civil.Date, rne, ls, place, rec, why string) []string {
	urn := "XXXXXXX"
	if place == "K2" || place == "K3" {
		urn = fmt.Sprintf("SC%06d", r.IntN(1e6))
	}
	provider := pick(r, providers)
	if place == "P1" || place == "P2" {
		provider = ""
	}
	return []string{id, ssda903.FormatDate(start), rne, ls, pick(r, needs), place, provider, ssda903.FormatDate(end), rec,
		why, fmt.Sprintf("NG%d %d", 1+r.IntN(25), r.IntN(10)), fmt.Sprintf("NG%d %d", 1+r.IntN(25), r.IntN(10)), urn}
}

func age(dob, on civil.Date) int {
	y, _ := civil.AgeOn(dob, on, civil.MarchFirst)
	return y
}

func later(a, b civil.Date) civil.Date {
	if a.After(b) {
		return a
	}
	return b
}

// spoil gives bad children one bad row each, in turn: an unknown legal status, an episode
// starting before birth, an episode starting before the previous one ended (rule 501), an
// impossible date and an unknown placement type.
func (g *Generated) spoil(r *rand.Rand, bad int) {
	eps := g.Tables[ssda903.Episodes]
	byChild := map[string][]int{}
	var children []string
	for i, row := range eps {
		if byChild[row[0]] == nil {
			children = append(children, row[0])
		}
		byChild[row[0]] = append(byChild[row[0]], i)
	}
	r.Shuffle(len(children), func(i, j int) { children[i], children[j] = children[j], children[i] })
	dob := map[string]string{}
	for _, h := range g.Tables[ssda903.Header] {
		dob[h[0]] = h[2]
	}
	kind := 0
	for _, c := range children {
		if len(g.Bad) == bad {
			break
		}
		rows := byChild[c]
		first := eps[rows[0]]
		switch kind % 5 {
		case 0:
			first[3], g.Bad[c] = "Z9", "LS Z9 is not a legal status"
		case 1:
			d, _ := civil.Parse(isoOf(dob[c]))
			first[1], g.Bad[c] = ssda903.FormatDate(d.AddDays(-3)), "DECOM before DOB"
		case 2:
			if len(rows) < 2 || eps[rows[0]][7] == "" {
				continue
			}
			d, _ := civil.Parse(isoOf(eps[rows[0]][7]))
			eps[rows[1]][1], g.Bad[c] = ssda903.FormatDate(d.AddDays(-1)), "overlapping episodes (501)"
		case 3:
			first[1], g.Bad[c] = "31/02/2025", "DECOM is not a date"
		case 4:
			first[5], g.Bad[c] = "Q7", "PLACE Q7 is not a placement type"
		}
		kind++
	}
	slices.SortFunc(eps, func(a, b []string) int {
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		return compareDates(a[1], b[1])
	})
}

// isoOf turns DD/MM/YYYY into YYYY-MM-DD.
func isoOf(s string) string {
	if len(s) != 10 {
		return s
	}
	return s[6:] + "-" + s[3:5] + "-" + s[:2]
}
