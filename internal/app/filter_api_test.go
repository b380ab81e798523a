package app_test

import (
	"net/url"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// A malformed filter that holds a name answers 400 / INVALID_ARGUMENT naming the problem
// and where it is, and the name comes back in no part of the error, over either protocol.
// (The filter is refused before any store is asked, so the memory store is enough.)
func TestFilterErrorsDoNotEchoTheFilter(t *testing.T) {
	s := start(t, memoryBackend().configure(t))
	const name = "Quillfeather"
	for _, filter := range []string{
		`family_name = "Quillfeather`,                                   // not closed
		`family_name = "Quillfeather"`,                                  // not a filter field
		`date_of_birth = "Quillfeather"`,                                // not a date
		`ehc_plan = true AND family_name = "Quillfeather" OR`,           // dangling OR
		`date_of_birth >= "2008-01-01" Quillfeather`,                    // a bare name
		`(date_of_birth >= "2008-01-01" AND council = "Quillfeather"))`, // unmatched parenthesis
	} {
		t.Run(filter, func(t *testing.T) {
			r := s.do(t, "GET", "/v1/youngPeople?filter="+url.QueryEscape(filter), "")
			wantRESTError(t, r, 400, "INVALID_ARGUMENT", "FILTER_INVALID", "filter")
			if body := string(r.body); strings.Contains(body, name) || strings.Contains(body, "Quill") || !strings.Contains(body, "at character ") {
				t.Errorf("REST error repeats the filter or does not place the problem: %s", body)
			}

			_, err := s.yp.ListYoungPeople(t.Context(), &pb.ListYoungPeopleRequest{Filter: filter})
			wantGRPCError(t, err, codes.InvalidArgument, "FILTER_INVALID", "filter")
			st, _ := status.FromError(err)
			all := st.Message()
			for _, d := range st.Details() {
				all += " " + stringOf(d)
			}
			if strings.Contains(all, name) || strings.Contains(all, "Quill") || !strings.Contains(all, "at character ") {
				t.Errorf("gRPC error repeats the filter or does not place the problem: %s", all)
			}
		})
	}
}

func stringOf(v any) string {
	if s, ok := v.(interface{ String() string }); ok {
		return s.String()
	}
	return ""
}
