// Package listing holds what the services' List methods share: page sizes (AIP-158) and
// AIP-160 filters, parsed with go.einride.tech/aip/filtering into the query expressions the
// stores understand.
package listing

import (
	"fmt"
	"strings"

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
func Filter(filter string, fields map[string]Field) (query.Expr, error) {
	if filter == "" {
		return nil, nil
	}
	opts := []filtering.DeclarationOption{
		filtering.DeclareStandardFunctions(),
		// AIP-160 has no boolean literals; true and false are declared as identifiers.
		filtering.DeclareIdent("true", filtering.TypeBool),
		filtering.DeclareIdent("false", filtering.TypeBool),
		// Terms side by side are joined by an implicit AND (AIP-160's "fuzzy" AND).
		filtering.DeclareFunction(filtering.FunctionFuzzyAnd, filtering.NewFunctionOverload(
			filtering.FunctionFuzzyAnd+"_bool", filtering.TypeBool, filtering.TypeBool, filtering.TypeBool)),
	}
	for name, f := range fields {
		t := filtering.TypeString
		if f.Type == query.Bool {
			t = filtering.TypeBool
		}
		opts = append(opts, filtering.DeclareIdent(name, t))
	}
	decls, err := filtering.NewDeclarations(opts...)
	if err != nil {
		return nil, fmt.Errorf("listing: filter declarations: %w", err)
	}
	parsed, err := filtering.ParseFilterString(filter, decls)
	if err != nil {
		return nil, invalid(err.Error())
	}
	c := converter{fields: fields}
	e, err := c.convert(parsed.CheckedExpr.GetExpr())
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

type converter struct {
	fields      map[string]Field
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

func (c *converter) convert(e *expr.Expr) (query.Expr, error) {
	switch k := e.GetExprKind().(type) {
	case *expr.Expr_IdentExpr: // a bare boolean field, as in `ehc_plan AND ...`
		return c.compare(k.IdentExpr.GetName(), query.Eq, &expr.Constant{ConstantKind: &expr.Constant_BoolValue{BoolValue: true}})
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
		default:
			op, ok := ops[fn]
			if !ok || len(args) != 2 {
				break
			}
			field, value := args[0].GetIdentExpr(), literal(args[1])
			if field == nil || value == nil {
				return nil, invalid("comparisons must have a field on the left and a literal on the right")
			}
			return c.compare(field.GetName(), op, value)
		}
		return nil, invalid(fmt.Sprintf("the %q operator is not supported", call.GetFunction()))
	}
	return nil, invalid("the filter must be made of comparisons joined by AND, OR and NOT")
}

// literal returns the constant e stands for, reading the identifiers true and false as
// booleans.
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

func (c *converter) compare(name string, op query.Op, lit *expr.Constant) (query.Expr, error) {
	c.comparisons++
	f, ok := c.fields[name]
	if !ok {
		return nil, invalid(fmt.Sprintf("%q is not a field you can filter on", name))
	}
	if f.Type != query.Date && op != query.Eq && op != query.Ne {
		return nil, invalid(fmt.Sprintf("%s can only be compared with = and !=", name))
	}
	switch f.Type {
	case query.Bool:
		if f.Expand != nil {
			return f.Expand(lit.GetBoolValue() == (op == query.Eq)), nil
		}
		return query.Compare{Field: name, Op: op, Value: lit.GetBoolValue()}, nil
	case query.Date:
		d, err := civil.Parse(lit.GetStringValue())
		if err != nil || !d.Valid() {
			return nil, invalid(fmt.Sprintf("%s must be compared with a date written as \"YYYY-MM-DD\"", name))
		}
		return query.Compare{Field: name, Op: op, Value: d}, nil
	default:
		v := lit.GetStringValue()
		if f.Value != nil {
			if v, ok = f.Value(v); !ok {
				return nil, invalid(fmt.Sprintf("%s is not compared with a valid value", name))
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
