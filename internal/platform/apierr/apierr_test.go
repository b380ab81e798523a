package apierr_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/apierr"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Every reason errs defines must be documented in the carepath.v1.ErrorReason enum. The
// constants are read from errs' source, so a new one cannot be forgotten here.
func TestReasonsAreInTheProtoEnum(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), "../../errs", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, f := range pkgs["errs"].Files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Reason") || i >= len(vs.Values) {
						continue
					}
					reason, _ := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
					found++
					if _, ok := pb.ErrorReason_value["ERROR_REASON_"+reason]; !ok {
						t.Errorf("errs.%s = %q is not a value of carepath.v1.ErrorReason", name.Name, reason)
					}
				}
			}
		}
	}
	if found < 10 {
		t.Fatalf("found only %d reason constants in errs; the test is not reading them", found)
	}
}

func info(t *testing.T, st *status.Status) *errdetails.ErrorInfo {
	t.Helper()
	i := apierr.Info(st)
	if i == nil || i.GetDomain() != apierr.Domain {
		t.Fatalf("status %v has no carepath ErrorInfo", st)
	}
	return i
}

func TestStatus(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		code     codes.Code
		reason   string
		internal bool
	}{
		{"not found", errs.New(errs.NotFound, errs.ReasonResourceNotFound, "young person not found"), codes.NotFound, "RESOURCE_NOT_FOUND", false},
		{"wrapped", fmt.Errorf("context: %w", errs.New(errs.Aborted, errs.ReasonEtagMismatch, "stale")), codes.Aborted, "ETAG_MISMATCH", false},
		{"deadline", context.DeadlineExceeded, codes.DeadlineExceeded, "DEADLINE_EXCEEDED", false},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), codes.Canceled, "CANCELLED", false},
		{"unexpected", errors.New("pq: relation secret_table does not exist"), codes.Internal, "INTERNAL", true},
		{"internal kind", errs.Wrap(errors.New("disk on fire"), errs.Internal, errs.ReasonInternal, "boom at row 7"), codes.Internal, "INTERNAL", true},
		{"grpc's own", status.Error(codes.ResourceExhausted, "message larger than max"), codes.ResourceExhausted, "RESOURCE_EXHAUSTED", false},
		{"bare status of ours", status.Error(codes.PermissionDenied, "no"), codes.Internal, "INTERNAL", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, internal := apierr.Status(tc.err)
			if st.Code() != tc.code || info(t, st).GetReason() != tc.reason || internal != tc.internal {
				t.Fatalf("Status(%v) = %s %s internal=%v; want %s %s internal=%v",
					tc.err, st.Code(), info(t, st).GetReason(), internal, tc.code, tc.reason, tc.internal)
			}
			if internal && (strings.Contains(st.Message(), "secret_table") || strings.Contains(st.Message(), "row 7")) {
				t.Fatalf("internal detail leaked to the caller: %q", st.Message())
			}
		})
	}
}

func TestViolationsBecomeBadRequest(t *testing.T) {
	st, _ := apierr.Status(errs.Invalid(errs.Violation{Field: "young_person.given_name", Description: "is required"}))
	if st.Code() != codes.InvalidArgument || info(t, st).GetReason() != "REQUEST_INVALID" {
		t.Fatalf("got %v", st)
	}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			v := br.GetFieldViolations()
			if len(v) == 1 && v[0].GetField() == "young_person.given_name" && v[0].GetDescription() == "is required" {
				return
			}
		}
	}
	t.Fatalf("no BadRequest detail with the violation: %v", st.Details())
}
