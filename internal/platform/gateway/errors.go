package gateway

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/apierr"
)

// errorBody is the AIP-193 JSON form of an error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    int               `json:"code"`
	Status  string            `json:"status"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

var detailJSON = protojson.MarshalOptions{}

// WriteStatus writes st as an AIP-193 error with the HTTP status its code maps to.
func WriteStatus(w http.ResponseWriter, st *status.Status, httpCode int) {
	body := errorBody{Error: errorDetail{
		Code:    httpCode,
		Status:  codeName(st.Code()),
		Message: st.Message(),
		Details: []json.RawMessage{},
	}}
	for _, d := range st.Proto().GetDetails() {
		b, err := detailJSON.Marshal(d)
		if err == nil {
			body.Error.Details = append(body.Error.Details, b)
		}
	}
	if wait := retryDelay(st); wait > 0 {
		// RFC 9110 delay-seconds, rounded up so a client that waits that long gets in.
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(wait.Seconds())), 10))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Del("Grpc-Metadata-Content-Type")
	if st.Code() == codes.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="carepath"`) // RFC 6750
	}
	w.WriteHeader(httpCode)
	_ = json.NewEncoder(w).Encode(body)
}

// retryDelay is the delay of st's google.rpc.RetryInfo, or 0.
func retryDelay(st *status.Status) time.Duration {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}

// codeName is the google.rpc.Code name of c, such as INVALID_ARGUMENT.
func codeName(c codes.Code) string {
	return [...]string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
		"NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
		"FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL",
		"UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}[c]
}

// errorHandler writes the errors of gateway calls: those the gRPC server returned, which
// already carry ErrorInfo, and those the gateway raised itself before calling it (a body or
// query it could not read), which get it here.
func errorHandler(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if bodyTooLarge(r) {
		writeTooLarge(w)
		return
	}
	st := status.Convert(err)
	if apierr.Info(st) == nil && st.Code() == codes.InvalidArgument {
		st, _ = apierr.Status(malformed(st.Message()))
	} else {
		st, _ = apierr.Status(st.Err())
	}
	code := runtime.HTTPStatusFromCode(st.Code())
	if info := apierr.Info(st); info != nil && info.GetReason() == errs.ReasonRequestTooLarge {
		code = http.StatusRequestEntityTooLarge // a request too large is 413 over HTTP, whatever its gRPC code
	}
	WriteStatus(w, st, code)
}

// unreadable matches the messages of protojson, strictQueryParser and CheckQuery that name
// the field a caller got wrong. Other messages are not echoed: they may quote the value
// sent. (What follows "invalid query parameter" is the query checks' own description,
// which never repeats the value.)
var (
	unreadable   = regexp.MustCompile(`unknown (field|query parameter) "([^"]{1,100})"`)
	invalidQuery = regexp.MustCompile(`^invalid query parameter "([^"]{1,100})": ([^"]{1,200})$`)
)

func malformed(msg string) error {
	e := errs.New(errs.InvalidArgument, errs.ReasonRequestMalformed,
		"the request could not be read: check the JSON body and query parameters against the API")
	if m := unreadable.FindStringSubmatch(msg); m != nil {
		e.Violations = []errs.Violation{{Field: m[2], Description: "unknown " + m[1]}}
	} else if m := invalidQuery.FindStringSubmatch(msg); m != nil {
		e.Violations = []errs.Violation{{Field: m[1], Description: m[2]}}
	}
	return e
}

func routingErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	var st *status.Status
	switch httpStatus {
	case http.StatusMethodNotAllowed:
		st = status.New(codes.Unimplemented, "this path does not support the "+r.Method+" method")
	case http.StatusBadRequest:
		st, _ = apierr.Status(malformed(""))
	default:
		httpStatus = http.StatusNotFound
		st = status.New(codes.NotFound, "no API route matches this path; see /openapi.json")
	}
	WriteStatus(w, apierr.WithErrorInfo(st), httpStatus)
}
