// Package gateway configures the grpc-gateway REST/JSON front of carepath. The gateway
// dials carepath's own gRPC listener, so every REST call passes through the same
// interceptors (validation, errors, logging and, later, authentication) as a gRPC call.
//
// What it changes from the gateway's defaults, and why:
//   - JSON: unknown fields are refused (a misspelt field must not silently change nothing),
//     and default values are written out so partners see explicit false and "".
//   - Unknown query parameters are refused, for the same reason, on every method: those
//     the gateway reads a query for and those it does not (CheckQuery, which the gateway's
//     connection to the gRPC server must install).
//   - Errors are AIP-193 JSON bodies, {"error": {code, status, message, details}}, with a
//     google.rpc.ErrorInfo always among the details.
//   - Only X-Request-Id is passed on to gRPC as metadata; no client header can set other
//     metadata (Grpc-Metadata-*), so identity can never be injected over REST.
//   - Responses carry Cache-Control: no-store: they hold personal data.
//   - HTTP method override and path-length fallback are off.
//   - Answers carry Content-Length: a client sees how much is coming, and a large answer
//     (a page of young people) goes out in a few writes instead of chunks.
package gateway

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/carepath/carepath/internal/platform/jsonplan"
	"github.com/carepath/carepath/internal/platform/requestid"
)

// NewServeMux returns a gateway mux with carepath's options; register handlers on it with
// the generated RegisterXHandler functions and a client connection to the gRPC server.
func NewServeMux(opts ...runtime.ServeMuxOption) *runtime.ServeMux {
	// The gateway keeps its query parser in a package variable, whatever mux sets it; set
	// it once so that several muxes (tests start many servers) do not race on it.
	strictQueries.Do(func() { opts = append(opts, runtime.SetQueryParameterParser(strictQueryParser{})) })
	return runtime.NewServeMux(append([]runtime.ServeMuxOption{
		runtime.WithMarshalerOption(runtime.MIMEWildcard, jsonMarshaler()),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithOutgoingTrailerMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithForwardResponseOption(noStore),
		runtime.WithDisableHTTPMethodOverride(),
		runtime.WithDisablePathLengthFallback(),
		runtime.WithWriteContentLength(),
		runtime.WithMiddlewares(withQuery),
	}, opts...)...)
}

var strictQueries sync.Once

// jsonMarshaler is the API's JSON: default values written out (by jsonplan, which writes
// what protojson would in a fraction of its time: a page of young people is mostly JSON),
// unknown fields refused.
func jsonMarshaler() jsonplan.Marshaler {
	return jsonplan.NewMarshaler(protojson.UnmarshalOptions{DiscardUnknown: false})
}

// incomingHeader passes only the request id on to gRPC. (The gateway itself always passes
// Authorization, and sets x-forwarded-for from the connection.)
func incomingHeader(key string) (string, bool) {
	if strings.EqualFold(key, requestid.Header) {
		return strings.ToLower(requestid.Header), true
	}
	return "", false
}

func noStore(_ context.Context, w http.ResponseWriter, _ proto.Message) error {
	w.Header().Set("Cache-Control", "no-store")
	return nil
}
