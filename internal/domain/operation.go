package domain

import (
	"time"

	"github.com/carepath/carepath/internal/domain/audit"
	"github.com/carepath/carepath/internal/domain/ssda903"
	"github.com/carepath/carepath/internal/errs"
)

// OperationKind is what a long-running operation does.
type OperationKind string

// ImportReturn imports a council's SSDA903 return uploaded over the API.
const ImportReturn OperationKind = "SSDA903_IMPORT"

// OperationStage is how far an operation has got.
type OperationStage string

const (
	StageQueued    OperationStage = "QUEUED"
	StageReading   OperationStage = "READING"
	StageImporting OperationStage = "IMPORTING"
	StageFinished  OperationStage = "FINISHED"
)

// Operation is a long-running operation of a council (AIP-151): work that outlasts the
// request that started it, such as an import of a return. It is done once it has a Result
// or an Error.
type Operation struct {
	ID        string
	CouncilID string
	Kind      OperationKind
	Stage     OperationStage
	// ChildrenDone of ChildrenTotal are written or found unchanged.
	ChildrenDone, ChildrenTotal int
	// Audit is who asked for it, as the audit trail records the young people it writes
	// (the requester is Audit.Actor).
	Audit audit.Record
	// Result is set when it succeeded, Error when it failed.
	Result *ImportResult
	Error  *OperationError
	// CreateTime is when it was asked for; UpdateTime when it last moved on.
	CreateTime, UpdateTime time.Time
}

// Done reports whether the operation has finished, one way or the other.
func (o Operation) Done() bool { return o.Result != nil || o.Error != nil }

// ImportResult is what a finished import did: young people created, updated and found
// unchanged, children rejected, and the rows that could not be imported (the first
// MaxProblems of ProblemCount).
type ImportResult struct {
	Created, Updated, Unchanged, Rejected int
	Problems                              []ssda903.Problem
	ProblemCount                          int
}

// MaxProblems is how many problem rows an operation keeps.
const MaxProblems = 1000

// OperationError is why an operation failed, as a caller may see it.
type OperationError struct {
	Kind    errs.Kind
	Reason  string
	Message string
}

// File is one uploaded file an operation works on.
type File struct {
	Name    string
	Content []byte
}
