package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// The OpenAPI documents the server serves are the ones generators need: every AIP path
// template expanded, the bearer scheme applied to every operation, and the error body they
// document (ErrorResponse) is the one the gateway really writes.
func TestOpenAPIDocuments(t *testing.T) {
	s := start(t, testConfig())
	type operation struct {
		OperationID string                     `json:"operationId"`
		Responses   map[string]json.RawMessage `json:"responses"`
	}
	var swagger struct {
		Swagger  string                          `json:"swagger"`
		Security []map[string][]string           `json:"security"`
		Paths    map[string]map[string]operation `json:"paths"`
	}
	var v31 struct {
		OpenAPI    string `json:"openapi"`
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string } `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]operation `json:"paths"`
	}
	for path, doc := range map[string]any{"/openapi.json": &swagger, "/openapi-3.1.json": &v31} {
		r := s.as("").do(t, "GET", path, "")
		if r.code != 200 || json.Unmarshal(r.body, doc) != nil {
			t.Fatalf("GET %s without a token: HTTP %d", path, r.code)
		}
	}
	if swagger.Swagger != "2.0" || v31.OpenAPI != "3.1.1" {
		t.Errorf("versions %q and %q, want 2.0 and 3.1.1", swagger.Swagger, v31.OpenAPI)
	}
	if len(swagger.Security) != 1 || swagger.Security[0]["bearer"] == nil {
		t.Errorf("security %v, want the bearer scheme on every operation", swagger.Security)
	}
	if b := v31.Components.SecuritySchemes["bearer"]; b.Type != "http" || b.Scheme != "bearer" {
		t.Errorf("OpenAPI 3.1 bearer scheme %+v, want HTTP bearer", b)
	}
	if _, ok := v31.Paths["/v1/youngPeople/{youngPerson}/milestones/{milestone}:complete"]; !ok {
		t.Error("the OpenAPI 3.1 document has no /v1/youngPeople/{youngPerson}/milestones/{milestone}:complete")
	}
	if len(v31.Paths) != len(swagger.Paths) {
		t.Errorf("the OpenAPI 3.1 document has %d paths, the Swagger one %d", len(v31.Paths), len(swagger.Paths))
	}
	ids := map[string]bool{}
	for path, ops := range swagger.Paths {
		if strings.Contains(path, "=") || strings.Contains(path, "{name}") || strings.Contains(path, "{parent}") {
			t.Errorf("path %s is not expanded", path)
		}
		if strings.Contains(strings.ToLower(path), "people}") {
			t.Errorf("path %s names a parameter for the collection, not the resource", path)
		}
		for method, op := range ops {
			if ids[op.OperationID] {
				t.Errorf("operation id %s is used twice", op.OperationID)
			}
			ids[op.OperationID] = true
			for _, code := range []string{"400", "401", "403", "404", "409", "default"} {
				if !strings.Contains(string(op.Responses[code]), `"#/definitions/ErrorResponse"`) {
					t.Errorf("%s %s: response %s is not an ErrorResponse: %s", method, path, code, op.Responses[code])
				}
			}
		}
	}

	// Errors as the gateway writes them decode into the documented message, unknown fields
	// refused: one from the token check and one from the service.
	sam := s.as(tokenFor(t, "sam-okoro")) // a demo personal adviser, who sees this young person
	for _, r := range []struct {
		name   string
		resp   restResponse
		reason string
	}{
		{"no token", s.as("").do(t, "GET", "/v1/youngPeople", ""), "UNAUTHENTICATED"},
		{"stale etag", sam.do(t, "PATCH", "/v1/youngPeople/d3e10000-0000-4000-8000-000000000001",
			`{"preferredName": "May", "etag": "999"}`), "ETAG_MISMATCH"},
	} {
		resp := r.resp
		var body pb.ErrorResponse
		if err := protojson.Unmarshal(resp.body, &body); err != nil {
			t.Errorf("%s: the error body is not the documented ErrorResponse: %v\n%s", r.name, err, resp.body)
			continue
		}
		if int(body.GetError().GetCode()) != resp.code {
			t.Errorf("%s: error.code %d, HTTP %d", r.name, body.GetError().GetCode(), resp.code)
		}
		var info errdetails.ErrorInfo
		if len(body.GetError().GetDetails()) == 0 || body.GetError().GetDetails()[0].UnmarshalTo(&info) != nil || info.GetReason() != r.reason {
			t.Errorf("%s: details %v, want an ErrorInfo with reason %s", r.name, body.GetError().GetDetails(), r.reason)
		}
	}
}
