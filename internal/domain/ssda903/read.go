package ssda903

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/carepath/carepath/internal/domain/civil"
)

// Table is one of the return's CSV tables, recognised by its header row.
type Table string

// The tables carepath reads, with their columns in the order the DfE guide gives them.
const (
	Header   Table = "Header"
	Episodes Table = "Episodes"
	UASC     Table = "UASC"
	OC3      Table = "OC3"
)

// Columns are each table's columns, in the order carepath writes them.
var Columns = map[Table][]string{
	Header:   {"CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"},
	Episodes: {"CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"},
	UASC:     {"CHILD", "SEX", "DOB", "DUC"},
	OC3:      {"CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"},
}

// Kept are the columns of Header and Episodes that carepath does not use itself but keeps,
// so that the return it writes gives back the rows it read.
var Kept = map[Table][]string{
	Header:   {"SEX", "ETHNIC", "UPN", "MOTHER", "MC_DOB"},
	Episodes: {"RNE", "CIN", "PLACE_PROVIDER", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"},
}

// Recognise names the table whose columns a header row holds (in any order and case); a
// table is recognised when every one of its columns is there and the row has no other.
func Recognise(header []string) (Table, bool) {
	got := make([]string, len(header))
	for i, h := range header {
		got[i] = strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	slices.Sort(got)
	for _, t := range []Table{Header, Episodes, UASC, OC3} {
		want := slices.Sorted(slices.Values(Columns[t]))
		if slices.Equal(got, want) {
			return t, true
		}
	}
	return "", false
}

// Problem is a row, or a value of a row, that cannot be imported: where it is, the value,
// and why, with the DfE validation rule's code where one applies.
type Problem struct {
	File   string
	Line   int
	Column string
	Value  string
	Rule   string
	Reason string
	// Child is the CHILD of the row, to reject the whole child; "" when the row has none.
	Child string
}

func (p Problem) String() string {
	s := fmt.Sprintf("%s:%d", p.File, p.Line)
	if p.Column != "" {
		s += fmt.Sprintf(": %s %q", p.Column, p.Value)
	}
	if p.Rule != "" {
		s += ": rule " + p.Rule
	}
	return s + ": " + p.Reason
}

// Row is one data row of a table, by column.
type Row struct {
	File   string
	Line   int
	Values map[string]string
}

// Child is everything a return holds about one child.
type Child struct {
	ID          string
	DateOfBirth civil.Date
	// HeaderFields are the Header columns carepath keeps (Kept[Header]).
	HeaderFields map[string]string
	UASC         bool
	Episodes     []Episode
	HeaderRow    *Row
	UASCRow      *Row
	OC3Row       *Row
}

// Episode is one Episodes row read.
type Episode struct {
	Start, End                              civil.Date
	LegalStatus, PlacementType, ReasonEnded string
	// Fields are the Episodes columns carepath keeps (Kept[Episodes]).
	Fields map[string]string
	Row    Row
}

// Return is what has been read of a return: every child, and what could not be read.
type Return struct {
	Children map[string]*Child
	Problems []Problem
	// Tables counts the tables read.
	Tables map[Table]int
}

// NewReturn returns an empty return to read tables into.
func NewReturn() *Return {
	return &Return{Children: map[string]*Child{}, Tables: map[Table]int{}}
}

// ErrUnknownTable is returned for a file whose header row is no table carepath reads.
var ErrUnknownTable = errors.New("the header row is not that of a Header, Episodes, UASC or OC3 table")

// Read reads one CSV table of a return, recognised by its header row. A value that cannot be
// read becomes a Problem; only a file that is no table at all is an error.
func (r *Return) Read(file string, in io.Reader) (Table, error) {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return "", fmt.Errorf("%s: %w", file, ErrUnknownTable)
	}
	t, ok := Recognise(header)
	if !ok {
		return "", fmt.Errorf("%s: %w", file, ErrUnknownTable)
	}
	for i := range header {
		header[i] = strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")))
	}
	r.Tables[t]++
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return t, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				r.Problems = append(r.Problems, Problem{File: file, Line: pe.Line, Reason: "is not a CSV row: " + pe.Err.Error()})
				continue
			}
			return t, fmt.Errorf("%s: %w", file, err)
		}
		row := Row{File: file, Line: line, Values: map[string]string{}}
		if len(rec) != len(header) {
			r.Problems = append(r.Problems, Problem{File: file, Line: line, Child: strings.TrimSpace(rec[0]),
				Reason: fmt.Sprintf("has %d values where the header has %d columns", len(rec), len(header))})
			continue
		}
		for i, h := range header {
			row.Values[h] = strings.TrimSpace(rec[i])
		}
		r.add(t, row)
	}
}

func (r *Return) problem(row Row, column, rule, reason string) {
	r.Problems = append(r.Problems, Problem{File: row.File, Line: row.Line, Column: column,
		Value: row.Values[column], Rule: rule, Reason: reason, Child: row.Values["CHILD"]})
}

func (r *Return) child(row Row) *Child {
	id := row.Values["CHILD"]
	c := r.Children[id]
	if c == nil {
		c = &Child{ID: id}
		r.Children[id] = c
	}
	return c
}

// date reads a DD/MM/YYYY date; "" is the zero date.
func date(s string) (civil.Date, bool) {
	if s == "" {
		return civil.Date{}, true
	}
	t, err := time.Parse("02/01/2006", s)
	if err != nil {
		return civil.Date{}, false
	}
	return civil.Of(t), true
}

// FormatDate writes a date as the return does, DD/MM/YYYY; the zero date as "".
func FormatDate(d civil.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

func (r *Return) add(t Table, row Row) {
	if row.Values["CHILD"] == "" {
		r.problem(row, "CHILD", "", "is required")
		return
	}
	c := r.child(row)
	switch t {
	case Header:
		if c.HeaderRow != nil {
			r.problem(row, "CHILD", "", fmt.Sprintf("is in the Header table already (line %d)", c.HeaderRow.Line))
			return
		}
		c.HeaderRow = &row
		c.HeaderFields = map[string]string{}
		for _, k := range Kept[Header] {
			c.HeaderFields[k] = row.Values[k]
		}
		if s := row.Values["SEX"]; s != "1" && s != "2" {
			r.problem(row, "SEX", "", "is not an SSDA903 sex code (1 or 2)")
		}
		c.DateOfBirth = r.dob(row)
	case UASC:
		if c.UASCRow != nil {
			r.problem(row, "CHILD", "", fmt.Sprintf("is in the UASC table already (line %d)", c.UASCRow.Line))
			return
		}
		c.UASCRow, c.UASC = &row, true
		r.dob(row)
		if _, ok := date(row.Values["DUC"]); !ok {
			r.problem(row, "DUC", "", "is not a date (DD/MM/YYYY)")
		}
	case OC3:
		c.OC3Row = &row
	case Episodes:
		r.episode(c, row)
	}
}

func (r *Return) dob(row Row) civil.Date {
	d, ok := date(row.Values["DOB"])
	switch {
	case !ok:
		r.problem(row, "DOB", "", "is not a date (DD/MM/YYYY)")
	case d.IsZero():
		r.problem(row, "DOB", "", "is required")
	}
	return d
}

func (r *Return) episode(c *Child, row Row) {
	e := Episode{LegalStatus: row.Values["LS"], PlacementType: row.Values["PLACE"], ReasonEnded: row.Values["REC"],
		Fields: map[string]string{}, Row: row}
	for _, k := range Kept[Episodes] {
		e.Fields[k] = row.Values[k]
	}
	ok := true
	var good bool
	if e.Start, good = date(row.Values["DECOM"]); !good || e.Start.IsZero() {
		r.problem(row, "DECOM", "", "is not a date (DD/MM/YYYY)")
		ok = false
	}
	if e.End, good = date(row.Values["DEC"]); !good {
		r.problem(row, "DEC", "", "is not a date (DD/MM/YYYY)")
		ok = false
	}
	if ok && !e.End.IsZero() && !e.End.After(e.Start) {
		r.problem(row, "DEC", "", "is not after DECOM")
	}
	if !ValidLegalStatus(e.LegalStatus) {
		r.problem(row, "LS", "", "is not an SSDA903 legal status code")
	}
	if !ValidPlacementType(e.PlacementType) {
		r.problem(row, "PLACE", "", "is not an SSDA903 placement type code")
	}
	switch {
	case e.ReasonEnded != "" && !ValidReasonEnded(e.ReasonEnded):
		r.problem(row, "REC", "", "is not an SSDA903 reason-episode-ended code")
	case e.ReasonEnded == "" && !e.End.IsZero():
		r.problem(row, "REC", "", "is required when the episode has ended (DEC)")
	case e.ReasonEnded != "" && e.End.IsZero():
		r.problem(row, "REC", "", "must be blank while the episode is open (no DEC)")
	}
	c.Episodes = append(c.Episodes, e)
}

// Check checks each child as a whole, once every table is read: a Header row for every
// child, a UASC row that agrees with it, episodes that start on or after the date of birth
// and not in the future, that do not overlap (DfE rule 501), with only the last one open
// (rule 142). Episodes are put in order of DECOM.
func (r *Return) Check(today civil.Date) {
	for _, c := range r.Children {
		r.checkChild(c, today)
	}
	slices.SortStableFunc(r.Problems, func(a, b Problem) int {
		if n := strings.Compare(a.File, b.File); n != 0 {
			return n
		}
		return a.Line - b.Line
	})
}

func (r *Return) checkChild(c *Child, today civil.Date) {
	if c.HeaderRow == nil {
		for _, row := range []*Row{c.UASCRow, c.OC3Row} {
			if row != nil {
				r.problem(*row, "CHILD", "", "has no row in the Header table")
			}
		}
		for _, e := range c.Episodes {
			r.problem(e.Row, "CHILD", "", "has no row in the Header table")
		}
		return
	}
	dob := c.DateOfBirth
	if dob.After(today) {
		r.problem(*c.HeaderRow, "DOB", "", "is in the future")
	}
	if c.UASCRow != nil && c.UASCRow.Values["DOB"] != c.HeaderRow.Values["DOB"] {
		r.problem(*c.UASCRow, "DOB", "", fmt.Sprintf("differs from the Header table's (line %d)", c.HeaderRow.Line))
	}
	slices.SortStableFunc(c.Episodes, func(a, b Episode) int { return a.Start.Compare(b.Start) })
	for i, e := range c.Episodes {
		if e.Start.IsZero() {
			continue
		}
		if !dob.IsZero() && e.Start.Before(dob) {
			r.problem(e.Row, "DECOM", "", "is before the child's date of birth (DOB)")
		}
		if e.Start.After(today) {
			r.problem(e.Row, "DECOM", "", "is in the future")
		}
		if e.End.After(today) {
			r.problem(e.Row, "DEC", "", "is in the future")
		}
		if i == 0 {
			continue
		}
		prev := c.Episodes[i-1]
		switch {
		case prev.End.IsZero():
			r.problem(prev.Row, "DEC", "142", fmt.Sprintf("a new episode starts (line %d) but this one has not ended", e.Row.Line))
		case e.Start.Before(prev.End):
			r.problem(e.Row, "DECOM", "501", fmt.Sprintf("starts before the previous episode ends (line %d)", prev.Row.Line))
		}
	}
}

// Rejected returns the children with any problem, so that each is imported whole or not at all.
func (r *Return) Rejected() map[string]bool {
	out := map[string]bool{}
	for _, p := range r.Problems {
		if p.Child != "" {
			out[p.Child] = true
		}
	}
	return out
}
