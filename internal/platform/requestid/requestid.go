// Package requestid gives every request an id that appears in its logs and in the
// X-Request-Id response header, so a caller's report can be matched to the server's logs.
// A caller may send its own id; one that is not 1-64 characters of [A-Za-z0-9._-] is
// replaced, so ids can never inject text into the logs.
package requestid

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Header is the HTTP header and gRPC metadata key that carries the id.
const Header = "X-Request-Id"

const metadataKey = "x-request-id"

type ctxKey struct{}

// From returns the request id in ctx, or "".
func From(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// valid reports whether a caller's id is safe to keep.
func valid(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func orNew(id string) string {
	if valid(id) {
		return id
	}
	return uuid.NewString()
}

// Middleware gives each HTTP request an id, passes it on to the gRPC call the gateway
// makes and returns it in the response.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := orNew(r.Header.Get(Header))
		r.Header.Set(Header, id)
		w.Header().Set(Header, id)
		next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
	})
}

func fromMetadata(ctx context.Context) context.Context {
	var id string
	if v := metadata.ValueFromIncomingContext(ctx, metadataKey); len(v) > 0 {
		id = v[0]
	}
	id = orNew(id)
	_ = grpc.SetHeader(ctx, metadata.Pairs(metadataKey, id))
	return With(ctx, id)
}

// UnaryServerInterceptor gives each gRPC call an id.
func UnaryServerInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(fromMetadata(ctx), req)
}

// StreamServerInterceptor gives each gRPC stream an id.
func StreamServerInterceptor(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &stream{ServerStream: ss, ctx: fromMetadata(ss.Context())})
}

type stream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *stream) Context() context.Context { return s.ctx }
