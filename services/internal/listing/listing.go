// Package listing holds what the services' List methods share: page sizes (AIP-158) and
// AIP-160 filters, parsed with go.einride.tech/aip/filtering into the query expressions the
// stores understand.
package listing

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.einride.tech/aip/filtering"
	expr "google.golang.org/genproto/googleapis/api/expr/v1alpha1"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/domain/query"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/pagetoken"
	"github.com/carepath/carepath/services/internal/convert"
)

// Page sizes, as documented on every List request.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageSize returns the number of items to return for a requested page_size: the default
// for 0 and at most MaxPageSize. Negative sizes are refused by validation before this.
func PageSize(requested int32) int {
	switch {
	case requested <= 0:
		return DefaultPageSize
	case requested > MaxPageSize:
		return MaxPageSize
	}
	return int(requested)
}

// maxComparisons bounds the work one filter can ask of the database.
const maxComparisons = 20

// Field describes a field a filter may use.
type Field struct {
	Type query.Type
	// Value, if set, turns a string literal into the value the store compares (for example
	// a resource name into an id); it returns false when the literal is not acceptable.
	Value func(string) (string, bool)
	// Expand, if set, makes the field a derived one: a comparison with it is replaced by
	// the expression Expand returns for the (boolean) value, such as "overdue = true".
	Expand func(value bool) query.Expr
}

// OneOf accepts only the given values.
func OneOf(values ...string) func(string) (string, bool) {
	return func(s string) (string, bool) {
		for _, v := range values {
			if s == v {
				return s, true
			}
		}
		return "", false
	}
}

// NameValue accepts resource names with the given collection prefix, such as
// "organisations/", and compares their ids.
func NameValue(prefix string) func(string) (string, bool) {
	return func(s string) (string, bool) {
		id, ok := strings.CutPrefix(s, prefix)
		return id, ok && id != "" && !strings.Contains(id, "/")
	}
}

// Fields returns filter fields with the given types and no conversions.
func Fields(types map[string]query.Type) map[string]Field {
	fields := make(map[string]Field, len(types))
	for name, t := range types {
		fields[name] = Field{Type: t}
	}
	return fields
}

// Filter parses an AIP-160 filter over fields. The empty filter matches everything (nil).
//
// A filter may hold personal data (`family_name = "..."`), so an invalid one is described
// by the position of the problem and what is wrong, in the terms of AIP-160, and never by
// repeating any part of it: the parser's own messages quote the whole filter, so none of
// them is passed on.
func Filter(filter string, fields map[string]Field) (query.Expr, error) {
	if filter == "" {
		return nil, nil
	}
	var p filtering.Parser
	p.Init(filter)
	parsed, err := p.Parse()
	if err != nil {
		return nil, syntaxError(filter, err)
	}
	c := converter{fields: fields, src: source{filter: filter, positions: parsed.GetSourceInfo().GetPositions()}}
	e, err := c.convert(parsed.GetExpr())
	if err != nil {
		return nil, err
	}
	if c.comparisons > maxComparisons {
		return nil, invalid(fmt.Sprintf("has %d comparisons; at most %d are allowed", c.comparisons, maxComparisons))
	}
	return e, nil
}

func invalid(description string) error {
	e := errs.New(errs.InvalidArgument, errs.ReasonFilterInvalid,
		"the filter is not valid; see the field violation and the method's documentation")
	e.Violations = []errs.Violation{{Field: "filter", Description: description}}
	return e
}

// source places the parts of a filter, for error messages.
type source struct {
	filter    string
	positions map[int64]int32 // expression id -> byte offset in the trimmed filter
}

// at returns "at character N: problem", N counting from 1 in the filter as sent.
func (s source) at(offset int32, problem string) error {
	return invalid(fmt.Sprintf("at character %d: %s", character(s.filter, offset), problem))
}

// atExpr places the problem at the expression e.
func (s source) atExpr(e *expr.Expr, problem string) error {
	return s.at(s.positions[e.GetId()], problem)
}

// character converts an offset in the trimmed filter (the parser trims it) into a
// character number in the filter.
func character(filter string, offset int32) int {
	lead := len(filter) - len(strings.TrimLeftFunc(filter, unicode.IsSpace))
	end := min(max(lead+int(offset), 0), len(filter))
	return utf8.RuneCountInString(filter[:end]) + 1
}

// positioned is what the parser's and lexer's errors tell besides their text.
type positioned interface {
	Position() filtering.Position
	Message() string
}

// syntaxError describes a filter the parser could not read: where, and what it found there
// in the terms of the filter language, never the text itself.
func syntaxError(filter string, err error) error {
	var pos filtering.Position
	problem := "the filter cannot be read from here"
	for e := err; e != nil; e = errors.Unwrap(e) {
		if p, ok := e.(positioned); ok {
			pos, problem = p.Position(), syntaxProblem(p.Message())
		} else if m := e.Error(); strings.Contains(m, "unescape") || strings.Contains(m, "code point") {
			problem = "a quoted value holds an escape sequence that is not valid"
		}
	}
	return invalid(fmt.Sprintf("at character %d: %s", character(filter, pos.Offset), problem))
}

// syntaxProblem turns the innermost parser message, which names token types and never
// text, into the filter language's words; anything unforeseen becomes a general phrase.
func syntaxProblem(msg string) string {
	switch {
	case msg == "unterminated string":
		return "a quoted value is not closed"
	case msg == "invalid UTF-8":
		return "the filter is not valid UTF-8"
	case msg == "expected int or fraction":
		return "a number is not complete"
	case strings.HasPrefix(msg, "unexpected trailing token "):
		return "the filter does not continue as expected: is a comparison missing after AND or OR, " +
			"or a parenthesis unmatched?"
	case strings.HasPrefix(msg, "unexpected token "):
		return "unexpected " + tokenName(strings.TrimPrefix(msg, "unexpected token "))
	case strings.HasPrefix(msg, "expected "):
		return "expected " + tokenName(strings.TrimPrefix(msg, "expected "))
	}
	return "the filter cannot be read from here"
}

// tokenName names a token type of the filter language.
func tokenName(t string) string {
	switch filtering.TokenType(t) {
	case filtering.TokenTypeWhitespace:
		return "a space"
	case filtering.TokenTypeText:
		return "a name"
	case filtering.TokenTypeString:
		return "a quoted value"
	case filtering.TokenTypeNumber, filtering.TokenTypeHexNumber:
		return "a number"
	case filtering.TokenTypeAnd, filtering.TokenTypeOr, filtering.TokenTypeNot:
		return t
	case filtering.TokenTypeLeftParen, filtering.TokenTypeRightParen, filtering.TokenTypeMinus,
		filtering.TokenTypeDot, filtering.TokenTypeEquals, filtering.TokenTypeHas, filtering.TokenTypeLessThan,
		filtering.TokenTypeGreaterThan, filtering.TokenTypeExclaim, filtering.TokenTypeComma,
		filtering.TokenTypeLessEquals, filtering.TokenTypeGreaterEquals, filtering.TokenTypeNotEquals:
		return strconv.Quote(t)
	}
	return "text"
}

type converter struct {
	fields      map[string]Field
	src         source
	comparisons int
}

var ops = map[string]query.Op{
	filtering.FunctionEquals:        query.Eq,
	filtering.FunctionNotEquals:     query.Ne,
	filtering.FunctionLessThan:      query.Lt,
	filtering.FunctionLessEquals:    query.Le,
	filtering.FunctionGreaterThan:   query.Gt,
	filtering.FunctionGreaterEquals: query.Ge,
}

// convert turns the parsed filter into a query, checking every name and value against
// the fields (the parser only checks the syntax).
func (c *converter) convert(e *expr.Expr) (query.Expr, error) {
	switch k := e.GetExprKind().(type) {
	case *expr.Expr_IdentExpr: // a bare boolean field, as in `ehc_plan AND ...`
		f, err := c.field(e)
		if err != nil {
			return nil, err
		}
		if f.Type != query.Bool {
			return nil, c.src.atExpr(e, fmt.Sprintf("%s on its own is not a condition; compare it with a value", k.IdentExpr.GetName()))
		}
		return c.compare(k.IdentExpr.GetName(), f, query.Eq, e, &expr.Constant{ConstantKind: &expr.Constant_BoolValue{BoolValue: true}})
	case *expr.Expr_SelectExpr:
		return nil, c.src.atExpr(e, `fields have no parts to select with "."`)
	case *expr.Expr_ConstExpr:
		return nil, c.src.atExpr(e, `a value on its own is not a condition; compare a field with it, as in field = "value"`)
	case *expr.Expr_CallExpr:
		call := k.CallExpr
		args := call.GetArgs()
		switch fn := call.GetFunction(); fn {
		case filtering.FunctionAnd, filtering.FunctionFuzzyAnd, filtering.FunctionOr:
			return c.fold(fn, args)
		case filtering.FunctionNot:
			if len(args) != 1 {
				break
			}
			x, err := c.convert(args[0])
			return query.Not{X: x}, err
		case filtering.FunctionHas:
			return nil, c.src.atExpr(e, `the ":" (has) operator is not supported; compare with = or !=`)
		default:
			op, ok := ops[fn]
			if !ok || len(args) != 2 {
				break
			}
			if args[0].GetSelectExpr() != nil {
				return nil, c.src.atExpr(args[0], `fields have no parts to select with "."`)
			}
			if args[0].GetIdentExpr() == nil || literal(args[0]) != nil {
				return nil, c.src.atExpr(args[0], "a comparison needs a field on the left and a value on the right")
			}
			f, err := c.field(args[0])
			if err != nil {
				return nil, err
			}
			return c.compare(args[0].GetIdentExpr().GetName(), f, op, args[1], literal(args[1]))
		}
		return nil, c.src.atExpr(e, "functions are not supported; use comparisons joined by AND, OR and NOT")
	}
	return nil, c.src.atExpr(e, "the filter must be made of comparisons joined by AND, OR and NOT")
}

// field returns the field a name expression names. An unknown name is not repeated: it
// may be a value written without quotes.
func (c *converter) field(e *expr.Expr) (Field, error) {
	f, ok := c.fields[e.GetIdentExpr().GetName()]
	if !ok {
		return Field{}, c.src.atExpr(e, "not a field you can filter on; the fields are "+strings.Join(slices.Sorted(maps.Keys(c.fields)), ", "))
	}
	return f, nil
}

// literal returns the constant e stands for, reading the identifiers true and false as
// booleans; nil if e is not a constant.
func literal(e *expr.Expr) *expr.Constant {
	if id := e.GetIdentExpr(); id != nil && (id.GetName() == "true" || id.GetName() == "false") {
		return &expr.Constant{ConstantKind: &expr.Constant_BoolValue{BoolValue: id.GetName() == "true"}}
	}
	return e.GetConstExpr()
}

func (c *converter) fold(fn string, args []*expr.Expr) (query.Expr, error) {
	var out query.Expr
	for _, a := range args {
		x, err := c.convert(a)
		if err != nil {
			return nil, err
		}
		switch {
		case out == nil:
			out = x
		case fn == filtering.FunctionOr:
			out = query.Or{Left: out, Right: x}
		default:
			out = query.And{Left: out, Right: x}
		}
	}
	return out, nil
}

// compare builds the comparison of field name with the literal lit (nil when the value
// expression at is not a literal).
func (c *converter) compare(name string, f Field, op query.Op, at *expr.Expr, lit *expr.Constant) (query.Expr, error) {
	c.comparisons++
	if f.Type != query.Date && op != query.Eq && op != query.Ne {
		return nil, c.src.atExpr(at, fmt.Sprintf("%s can only be compared with = and !=", name))
	}
	switch f.Type {
	case query.Bool:
		b, ok := lit.GetConstantKind().(*expr.Constant_BoolValue)
		if !ok {
			return nil, c.src.atExpr(at, fmt.Sprintf("%s must be compared with true or false", name))
		}
		if f.Expand != nil {
			return f.Expand(b.BoolValue == (op == query.Eq)), nil
		}
		return query.Compare{Field: name, Op: op, Value: b.BoolValue}, nil
	case query.Date:
		_, ok := lit.GetConstantKind().(*expr.Constant_StringValue)
		d, err := civil.Parse(lit.GetStringValue())
		if !ok || err != nil || !d.Valid() {
			return nil, c.src.atExpr(at, fmt.Sprintf("%s must be compared with a date written as \"YYYY-MM-DD\"", name))
		}
		return query.Compare{Field: name, Op: op, Value: d}, nil
	default:
		s, ok := lit.GetConstantKind().(*expr.Constant_StringValue)
		if !ok {
			return nil, c.src.atExpr(at, fmt.Sprintf("%s must be compared with a value in double quotes", name))
		}
		v := s.StringValue
		if f.Value != nil {
			if v, ok = f.Value(v); !ok {
				return nil, c.src.atExpr(at, fmt.Sprintf("%s is not compared with a valid value", name))
			}
		}
		return query.Compare{Field: name, Op: op, Value: v}, nil
	}
}

// AfterID decodes a page token whose sort key is a resource's UUID. Tokens are opaque but
// not secret, so a crafted one is refused here like any other bad input.
func AfterID(token string, query ...string) (string, error) {
	after, err := pagetoken.Decode(token, query...)
	if err == nil && after != "" && !convert.IsUUID(after) {
		return "", pagetoken.Invalid()
	}
	return after, err
}

// Next cuts a page fetched with one item more than size (so as to know whether more
// follow) back to size, and returns the token of the next page: the last item's sort key,
// for the query; "" on the last page.
func Next[T any](page []T, size int, key func(T) string, query ...string) ([]T, string) {
	if len(page) <= size {
		return page, ""
	}
	page = page[:size]
	return page, pagetoken.Encode(key(page[size-1]), query...)
}

// PageOf pages through a whole list read at once (a young person's few episodes or
// shares, the catalogue): the items after the one whose key is after ("" for the first
// page), at most size of them, and the token of the next page.
func PageOf[T any](all []T, after string, size int, key func(T) string, query ...string) ([]T, string) {
	if after != "" {
		for i, item := range all {
			if key(item) == after {
				all = all[i+1:]
				break
			}
		}
	}
	return Next(all, size, key, query...)
}
