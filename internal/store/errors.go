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
	ErrOrganisationNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"organisation not found")
	ErrPersonNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"person not found")
	ErrSharingAgreementNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"sharing agreement not found")
	ErrShareNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"share not found")
	ErrReminderNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"reminder not found")
	ErrWebhookEndpointNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"webhook endpoint not found")
	ErrDeliveryNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"webhook delivery not found")
	ErrDeliveryPlanNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"delivery plan not found")
	ErrOperationNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"operation not found")
	ErrPlanActionNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"delivery plan action not found")
	ErrGoalNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"goal not found")
	ErrLocalOfferEntryNotFound = errs.New(errs.NotFound, errs.ReasonResourceNotFound,
		"local offer entry not found")
	ErrExists = errs.New(errs.AlreadyExists, errs.ReasonResourceExists,
		"a resource with this id already exists")
	ErrRevisionMismatch = errs.New(errs.Aborted, errs.ReasonEtagMismatch,
		"the resource has changed since it was read (etag mismatch); read it again and retry")
)

// CheckRevision is the etag guard of every update: ifRevision 0 means unconditional,
// anything else must be the stored revision.
func CheckRevision(ifRevision, stored int64) error {
	if ifRevision != 0 && ifRevision != stored {
		return ErrRevisionMismatch
	}
	return nil
}
