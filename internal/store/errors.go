package store

import "github.com/carepath/carepath/internal/errs"

// The failures both backends report, so that callers see the same error from either.
var (
	ErrYoungPersonNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"young person not found")
	ErrCaseReferenceInUse = errs.New(errs.AlreadyExists, errs.ReasonCaseReferenceInUse,
		"the council already has a young person with this case reference")
	ErrCareEpisodeNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"care episode not found")
	ErrMilestoneNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"milestone not found")
	ErrRevisionMismatch = errs.New(errs.Aborted, errs.ReasonEtagMismatch,
		"the resource has changed since it was read (etag mismatch); read it again and retry")
)
