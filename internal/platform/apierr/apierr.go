// Package apierr turns errors into AIP-193 statuses: a canonical code, a message that is
// safe to show, a google.rpc.ErrorInfo on every error and google.rpc.BadRequest field
// violations for invalid requests. It is the one place where failures become statuses.
package apierr

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/carepath/carepath/internal/errs"
)

// Domain is the ErrorInfo domain of every carepath error.
const Domain = "carepath.api"

var codeOf = map[errs.Kind]codes.Code{
	errs.Internal:           codes.Internal,
	errs.InvalidArgument:    codes.InvalidArgument,
	errs.NotFound:           codes.NotFound,
	errs.AlreadyExists:      codes.AlreadyExists,
	errs.Aborted:            codes.Aborted,
	errs.FailedPrecondition: codes.FailedPrecondition,
	errs.PermissionDenied:   codes.PermissionDenied,
	errs.Unauthenticated:    codes.Unauthenticated,
	errs.ResourceExhausted:  codes.ResourceExhausted,
	errs.Unavailable:        codes.Unavailable,
	errs.DeadlineExceeded:   codes.DeadlineExceeded,
	errs.Canceled:           codes.Canceled,
}

// defaultReason is the reason given to statuses that arrive without one: errors raised by
// gRPC or the gateway themselves rather than by carepath.
var defaultReason = map[codes.Code]string{
	codes.InvalidArgument:   errs.ReasonRequestMalformed,
	codes.NotFound:          errs.ReasonRouteNotFound,
	codes.Unimplemented:     errs.ReasonMethodNotSupported,
	codes.ResourceExhausted: errs.ReasonResourceExhausted,
	codes.DeadlineExceeded:  errs.ReasonDeadlineExceeded,
	codes.Canceled:          errs.ReasonCanceled,
	codes.Unavailable:       errs.ReasonStoreUnavailable,
}

// Status converts err into a status with ErrorInfo. It reports internal=true when err was
// unexpected; its detail is then hidden from the caller and should be logged.
func Status(err error) (st *status.Status, internal bool) {
	var e *errs.Error
	switch {
	case errors.As(err, &e):
		return fromError(e), e.Kind == errs.Internal
	case errors.Is(err, context.DeadlineExceeded):
		return fromError(errs.New(errs.DeadlineExceeded, errs.ReasonDeadlineExceeded, "the request ran out of time")), false
	case errors.Is(err, context.Canceled):
		return fromError(errs.New(errs.Canceled, errs.ReasonCanceled, "the request was cancelled")), false
	}
	if st, ok := status.FromError(err); ok {
		if Info(st) != nil {
			return st, st.Code() == codes.Internal
		}
		if _, known := defaultReason[st.Code()]; known {
			return WithErrorInfo(st), false
		}
	}
	return internalStatus(), true
}

func internalStatus() *status.Status {
	return fromError(errs.New(errs.Internal, errs.ReasonInternal,
		"an internal error occurred; it has been logged with the request id"))
}

func fromError(e *errs.Error) *status.Status {
	if e.Kind == errs.Internal {
		e = errs.New(errs.Internal, errs.ReasonInternal, "an internal error occurred; it has been logged with the request id")
	}
	st := status.New(codeOf[e.Kind], e.Message)
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason, Domain: Domain, Metadata: e.Metadata}}
	if len(e.Violations) > 0 {
		br := &errdetails.BadRequest{}
		for _, v := range e.Violations {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: v.Field, Description: v.Description,
			})
		}
		details = append(details, br)
	}
	if e.RetryDelay > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryDelay)})
	}
	return mustDetails(st, details...)
}

// WithErrorInfo returns st with an ErrorInfo added when it has none. Statuses that carepath
// did not make (raised by gRPC or the gateway) get the reason their code implies; any other
// status without one is a bug and becomes INTERNAL.
func WithErrorInfo(st *status.Status) *status.Status {
	if Info(st) != nil {
		return st
	}
	reason, ok := defaultReason[st.Code()]
	if !ok {
		return internalStatus()
	}
	return mustDetails(st, &errdetails.ErrorInfo{Reason: reason, Domain: Domain})
}

// Info returns the ErrorInfo of st, or nil.
func Info(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

func mustDetails(st *status.Status, details ...protoadapt.MessageV1) *status.Status {
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		panic("apierr: cannot attach error details: " + err.Error()) // only for codes.OK
	}
	return withDetails
}
