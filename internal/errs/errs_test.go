package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestViolationsErr(t *testing.T) {
	var v Violations
	if v.Err() != nil {
		t.Fatal("no violations must be no error")
	}
	v.Add("given_name", "is required")
	err := v.Err()
	if KindOf(err) != InvalidArgument || ReasonOf(err) != ReasonRequestInvalid {
		t.Fatalf("Err() = %v", err)
	}
}

func TestPrefixed(t *testing.T) {
	err := Prefixed(Invalid(Violation{Field: "date_of_birth", Description: "is in the future"}), "young_person")
	var e *Error
	if !errors.As(err, &e) || e.Violations[0].Field != "young_person.date_of_birth" {
		t.Fatalf("Prefixed = %v", err)
	}
	plain := errors.New("x")
	if Prefixed(plain, "p") != plain {
		t.Fatal("errors without violations must pass through")
	}
}

func TestKindOfWrapped(t *testing.T) {
	err := fmt.Errorf("ctx: %w", New(NotFound, ReasonResourceNotFound, "gone"))
	if KindOf(err) != NotFound || KindOf(errors.New("x")) != Internal {
		t.Fatal("KindOf must see through wrapping and default to Internal")
	}
	cause := errors.New("driver detail")
	if w := Wrap(cause, Unavailable, ReasonStoreUnavailable, "down"); !errors.Is(w, cause) || w.Message != "down" {
		t.Fatalf("Wrap lost the cause or message: %v", w)
	}
}
