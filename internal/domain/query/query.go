// Package query is a small boolean expression language over named fields, used to filter
// lists. The API parses AIP-160 filters into it; the in-memory store evaluates it and the
// PostgreSQL store compiles it to SQL, so both answer the same question.
package query

import (
	"fmt"

	"github.com/carepath/carepath/internal/domain/civil"
)

// Type is the type of a field's values.
type Type uint8

const (
	String Type = iota + 1
	Bool
	Date
)

// Op is a comparison operator.
type Op uint8

const (
	Eq Op = iota + 1
	Ne
	Lt
	Le
	Gt
	Ge
)

func (o Op) String() string {
	return [...]string{"?", "=", "!=", "<", "<=", ">", ">="}[o]
}

// Expr is a boolean expression: And, Or, Not or Compare.
type Expr interface{ isExpr() }

// And is true when both sides are.
type And struct{ Left, Right Expr }

// Or is true when either side is.
type Or struct{ Left, Right Expr }

// Not is true when X is false.
type Not struct{ X Expr }

// Compare compares a field with a value: a string, a bool or a civil.Date, as the field's
// Type says.
type Compare struct {
	Field string
	Op    Op
	Value any
}

func (And) isExpr()     {}
func (Or) isExpr()      {}
func (Not) isExpr()     {}
func (Compare) isExpr() {}

// Eval evaluates e over a record whose fields value returns. A nil e is true.
func Eval(e Expr, value func(field string) any) bool {
	switch e := e.(type) {
	case nil:
		return true
	case And:
		return Eval(e.Left, value) && Eval(e.Right, value)
	case Or:
		return Eval(e.Left, value) || Eval(e.Right, value)
	case Not:
		return !Eval(e.X, value)
	case Compare:
		return holds(e.Op, compare(value(e.Field), e.Value))
	}
	panic(fmt.Sprintf("query: unknown expression %T", e))
}

func compare(a, b any) int {
	switch a := a.(type) {
	case string:
		return cmpOrdered(a, b.(string))
	case civil.Date:
		return a.Compare(b.(civil.Date))
	case bool:
		if a == b.(bool) {
			return 0
		}
		if !a {
			return -1
		}
		return 1
	}
	panic(fmt.Sprintf("query: cannot compare %T", a))
}

func cmpOrdered(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func holds(op Op, c int) bool {
	switch op {
	case Eq:
		return c == 0
	case Ne:
		return c != 0
	case Lt:
		return c < 0
	case Le:
		return c <= 0
	case Gt:
		return c > 0
	case Ge:
		return c >= 0
	}
	panic(fmt.Sprintf("query: unknown operator %d", op))
}
