package console

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/type/date"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// funcs are the templates' helpers: dates as people write them, ratings as GOV.UK tags.
var funcs = template.FuncMap{
	"date":       formatDate,
	"isoDate":    isoDate,
	"ratingTag":  ratingTag,
	"ratingWord": ratingWord,
	"id":         lastSegment,
	"join":       strings.Join,
	"inc":        func(i int) int { return i + 1 },
	"errorFor":   errorFor,
	"dateCtx": func(name, label, hint string, form url.Values, errs []fieldError) inputCtx {
		return inputCtx{Name: name, Label: label, Hint: hint, Form: form, Errors: errs}
	},
	"textCtx": func(name, label, hint string, form url.Values, errs []fieldError, area bool) inputCtx {
		return inputCtx{Name: name, Label: label, Hint: hint, Form: form, Errors: errs, Area: area}
	},
	"codeWords":   codeWords,
	"partnerName": partnerName,
	"checkWords": func() map[pb.CheckStatus]checkWord {
		out := map[pb.CheckStatus]checkWord{}
		for k, v := range checkStatusWords {
			out[k] = checkWord{Word: v.word, Tag: v.tag}
		}
		return out
	},
	"trimEvidence": func(s string) string { return strings.TrimPrefix(s, "EVIDENCE_TYPE_") },
	"trimAgency":   func(s string) string { return strings.TrimPrefix(s, "AGENCY_TYPE_") },
	"list":         func(s ...string) []string { return s },
	"title":        func(s string) string { return strings.ToUpper(s[:1]) + s[1:] },
	"fieldCtx":     func(errs []fieldError, field string) fieldCtx { return fieldCtx{Errors: errs, Field: field} },
}

// checkWord is a check's status as a word and a GOV.UK tag colour.
type checkWord struct{ Word, Tag string }

// inputCtx is what the date-input and text-field partials need.
type inputCtx struct {
	Name, Label, Hint string
	Form              url.Values
	Errors            []fieldError
	Area              bool
}

// fieldCtx is what the field-error partial needs: the page's errors and the field's id.
type fieldCtx struct {
	Errors []fieldError
	Field  string
}

// errorFor is the message for one form field, if it is in error.
func errorFor(errs []fieldError, field string) string {
	for _, e := range errs {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// formatDate writes a date the GOV.UK way: 3 May 2027.
func formatDate(d *date.Date) string {
	if d == nil || d.GetYear() == 0 {
		return ""
	}
	return time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC).Format("2 January 2006")
}

func isoDate(d *date.Date) string {
	if d == nil || d.GetYear() == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

// ratingTag is the GOV.UK tag class of a rating; the word is always shown too, so colour
// is never the only sign.
func ratingTag(r pb.Rating) string {
	switch r {
	case pb.Rating_RATING_RED:
		return "govuk-tag--red"
	case pb.Rating_RATING_AMBER:
		return "govuk-tag--orange"
	case pb.Rating_RATING_GREEN:
		return "govuk-tag--green"
	}
	return "govuk-tag--grey"
}

func ratingWord(r pb.Rating) string {
	switch r {
	case pb.Rating_RATING_RED:
		return "Red"
	case pb.Rating_RATING_AMBER:
		return "Amber"
	case pb.Rating_RATING_GREEN:
		return "Green"
	}
	return "Not rated"
}

// lastSegment is a resource name's id: youngPeople/abc -> abc.
func lastSegment(name string) string {
	return name[strings.LastIndex(name, "/")+1:]
}
