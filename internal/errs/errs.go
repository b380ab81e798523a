// Package errs is the vocabulary of failure shared by carepath's layers. The domain, the
// stores and the services describe what went wrong with an *Error (a kind, a stable reason
// and a message that is safe to show a caller); platform/apierr is the one place that turns
// it into a gRPC status with google.rpc.ErrorInfo and BadRequest details.
//
// Messages must never contain personal data or implementation detail (SQL, stack traces):
// the underlying cause, if any, is kept for logs only.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind is the class of a failure; each maps to one canonical gRPC code.
type Kind uint8

const (
	Internal Kind = iota
	InvalidArgument
	NotFound
	AlreadyExists
	Aborted
	FailedPrecondition
	PermissionDenied
	Unauthenticated
	ResourceExhausted
	Unavailable
	DeadlineExceeded
	Canceled
)

// Reasons are the ErrorInfo reasons; each is a value of carepath.v1.ErrorReason without its
// ERROR_REASON_ prefix (a test in platform/apierr keeps the two lists in step).
const (
	ReasonRequestInvalid     = "REQUEST_INVALID"
	ReasonRequestMalformed   = "REQUEST_MALFORMED"
	ReasonRequestTooLarge    = "REQUEST_TOO_LARGE"
	ReasonPageTokenInvalid   = "PAGE_TOKEN_INVALID"
	ReasonFilterInvalid      = "FILTER_INVALID"
	ReasonRequestIDReused    = "REQUEST_ID_REUSED"
	ReasonResourceNotFound   = "RESOURCE_NOT_FOUND"
	ReasonRouteNotFound      = "ROUTE_NOT_FOUND"
	ReasonCaseReferenceInUse = "CASE_REFERENCE_IN_USE"
	ReasonEpisodesOverlap    = "EPISODES_OVERLAP"
	ReasonInvalidTransition  = "INVALID_TRANSITION"
	ReasonEtagMismatch       = "ETAG_MISMATCH"
	ReasonConcurrentUpdate   = "CONCURRENT_MODIFICATION"
	ReasonStoreUnavailable   = "STORE_UNAVAILABLE"
	ReasonDeadlineExceeded   = "DEADLINE_EXCEEDED"
	ReasonCanceled           = "CANCELLED"
	ReasonResourceExhausted  = "RESOURCE_EXHAUSTED"
	ReasonMethodNotSupported = "METHOD_NOT_SUPPORTED"
	ReasonInternal           = "INTERNAL"
	ReasonUnauthenticated    = "UNAUTHENTICATED"
	ReasonAccessDenied       = "ACCESS_DENIED"
	ReasonResourceExists     = "RESOURCE_EXISTS"
	ReasonNoSharingAgreement = "NO_SHARING_AGREEMENT"
	// ReasonPartnerHasNoAdmin: a second council may not share with a partner another
	// council manages until the partner has an administrator of its own.
	ReasonPartnerHasNoAdmin = "PARTNER_HAS_NO_ADMINISTRATOR"
	// ReasonUnderEighteen: a young person gives and withdraws their own consent from 18.
	ReasonUnderEighteen = "UNDER_EIGHTEEN"
	// ReasonConsentNotTheirs: a young person may give or withdraw CONSENT shares only, not
	// the council's REFERRAL ones.
	ReasonConsentNotTheirs = "CONSENT_NOT_THEIRS_TO_GIVE"
	// ReasonUnderThirteen: a young person has an account of their own from 13.
	ReasonUnderThirteen = "UNDER_THIRTEEN"
	// ReasonNotEntitledToAdviser: a personal adviser on request is for former relevant
	// young people aged 21 to 24.
	ReasonNotEntitledToAdviser = "NOT_ENTITLED_TO_ADVISER_ON_REQUEST"
)

// Violation is one invalid field of a request. Field is a path in the request message
// (for example "young_person.date_of_birth"); Description says what is wrong without
// repeating the value.
type Violation struct {
	Field       string
	Description string
}

// Error is a failure that callers may see.
type Error struct {
	Kind       Kind
	Reason     string
	Message    string
	Violations []Violation
	// Metadata goes into ErrorInfo.metadata; keys are lowerCamelCase. No personal data.
	Metadata map[string]string
	// RetryDelay, when set, tells the caller how long to wait before trying again
	// (google.rpc.RetryInfo; Retry-After over REST).
	RetryDelay time.Duration
	cause      error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Message + ": " + e.cause.Error()
	}
	return e.Message
}

// Unwrap returns the cause kept for logs.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error of the given kind and reason.
func New(kind Kind, reason, format string, args ...any) *Error {
	return &Error{Kind: kind, Reason: reason, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of the given kind and reason that keeps cause for the logs.
func Wrap(cause error, kind Kind, reason, format string, args ...any) *Error {
	e := New(kind, reason, format, args...)
	e.cause = cause
	return e
}

// With returns a copy of e with one metadata entry added.
func (e *Error) With(key, value string) *Error {
	c := *e
	c.Metadata = make(map[string]string, len(e.Metadata)+1)
	for k, v := range e.Metadata {
		c.Metadata[k] = v
	}
	c.Metadata[key] = value
	return &c
}

// Invalid returns an INVALID_ARGUMENT error listing the violations.
func Invalid(violations ...Violation) *Error {
	return &Error{
		Kind:       InvalidArgument,
		Reason:     ReasonRequestInvalid,
		Message:    "the request has invalid fields; see the field violations",
		Violations: violations,
	}
}

// Violations collects field violations and turns them into one error.
type Violations []Violation

// Add records that field is invalid.
func (v *Violations) Add(field, description string) {
	*v = append(*v, Violation{Field: field, Description: description})
}

// Err returns nil when nothing was added, else an Invalid error.
func (v Violations) Err() error {
	if len(v) == 0 {
		return nil
	}
	return Invalid(v...)
}

// Prefixed returns the violations of err with prefix+"." put before each field, so a
// domain check of a resource reports paths within the request ("young_person.given_name").
// Errors without violations are returned unchanged.
func Prefixed(err error, prefix string) error {
	var e *Error
	if !errors.As(err, &e) || len(e.Violations) == 0 {
		return err
	}
	c := *e
	c.Violations = make([]Violation, len(e.Violations))
	for i, v := range e.Violations {
		c.Violations[i] = Violation{Field: prefix + "." + v.Field, Description: v.Description}
	}
	return &c
}

// KindOf returns the kind of err: that of the *Error in its chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// ReasonOf returns the reason of the *Error in err's chain, or "".
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
