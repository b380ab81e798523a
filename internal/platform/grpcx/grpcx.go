// Package grpcx builds carepath's gRPC server: limits, and the interceptor chain that every
// call passes through, REST calls included (the gateway calls the services through Local,
// which runs the same chain in process):
//
//	request id -> logging -> metrics -> panic recovery -> error mapping -> access -> validation -> handler
//
// (internal/app passes an access guard with the rate limits inside it, which so run once the
// caller is known and before validation.)
//
// Error mapping sits outside access, validation and the handlers so that every error
// leaving the server is an AIP-193 status; recovery sits outside it and builds its own.
// Access (authentication and the method's policy) runs before validation, so that callers
// who may not call a method learn nothing from its validation errors.
package grpcx

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"
	"time"

	"buf.build/go/protovalidate"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/protobuf/proto"

	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/apierr"
	"github.com/carepath/carepath/internal/platform/requestid"
)

// Limits bound what one connection or message may cost the server.
const (
	MaxRecvMsgSize       = 1 << 20 // 1 MiB
	MaxSendMsgSize       = 4 << 20
	MaxHeaderListSize    = 64 << 10
	MaxConcurrentStreams = 100
)

// Guard authenticates callers and applies the access policy of each method.
type Guard interface {
	Unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error)
	Stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error
}

// NewServer returns a gRPC server with carepath's limits and interceptors. Metrics must be
// registered with a Prometheus registry by the caller. opts add server options such as TLS.
//
// large names the methods (full names, such as /pkg.Service/Method) that may receive
// messages larger than MaxRecvMsgSize, with their limits in bytes; nil for none.
func NewServer(log *slog.Logger, metrics *grpcprom.ServerMetrics, validator protovalidate.Validator, guard Guard,
	large map[string]int, opts ...grpc.ServerOption) *grpc.Server {
	c := newChain(log, metrics, validator, guard, large)
	return grpc.NewServer(append(opts,
		grpc.MaxRecvMsgSize(c.sizes.transport),
		grpc.MaxSendMsgSize(MaxSendMsgSize),
		grpc.MaxHeaderListSize(MaxHeaderListSize),
		grpc.MaxConcurrentStreams(MaxConcurrentStreams),
		grpc.ConnectionTimeout(20*time.Second),
		grpc.NumStreamWorkers(streamWorkers),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 5 * time.Minute}),
		grpc.ChainUnaryInterceptor(c.unary...),
		grpc.ChainStreamInterceptor(c.stream...),
	)...)
}

// chain is the interceptors every call passes through, in order, and the request sizes
// they allow.
type chain struct {
	unary  []grpc.UnaryServerInterceptor
	stream []grpc.StreamServerInterceptor
	sizes  sizeLimits
}

func newChain(log *slog.Logger, metrics *grpcprom.ServerMetrics, validator protovalidate.Validator, guard Guard,
	large map[string]int) chain {
	calls := callLog{log: log}
	recoveryOpt := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in gRPC handler", "request_id", requestid.From(ctx),
			"panic", p, "stack", string(debug.Stack()))
		st, _ := apierr.Status(errs.New(errs.Internal, errs.ReasonInternal, "panic"))
		return st.Err()
	})
	errorsI := &errorMapper{log: log}
	validate := &validation{v: validator}
	sizes := requestSizes(large)
	return chain{
		unary: []grpc.UnaryServerInterceptor{
			requestid.UnaryServerInterceptor,
			calls.unary,
			metrics.UnaryServerInterceptor(),
			recovery.UnaryServerInterceptor(recoveryOpt),
			errorsI.unary,
			sizes.unary,
			guard.Unary,
			validate.unary,
		},
		stream: []grpc.StreamServerInterceptor{
			requestid.StreamServerInterceptor,
			calls.stream,
			metrics.StreamServerInterceptor(),
			recovery.StreamServerInterceptor(recoveryOpt),
			errorsI.stream,
			guard.Stream,
			validate.stream,
		},
		sizes: sizes,
	}
}

// sizeLimits let some methods receive larger messages than MaxRecvMsgSize. gRPC's limit is
// the server's, not a method's: the transport takes the largest, and unary refuses a larger
// message than its method's with RESOURCE_EXHAUSTED, as the transport would, before
// anything else looks at it.
type sizeLimits struct {
	large     map[string]int
	transport int
}

func requestSizes(large map[string]int) sizeLimits {
	l := sizeLimits{large: large, transport: MaxRecvMsgSize}
	for _, n := range large {
		l.transport = max(l.transport, n)
	}
	return l
}

func (l sizeLimits) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	limit, ok := l.large[info.FullMethod]
	if !ok {
		limit = MaxRecvMsgSize
	}
	if m, ok := req.(proto.Message); ok && proto.Size(m) > limit {
		return nil, errs.New(errs.ResourceExhausted, errs.ReasonRequestTooLarge,
			"the request is larger than the %d bytes this method accepts", limit)
	}
	return handler(ctx, req)
}

// errorMapper turns every error a handler returns into an AIP-193 status and logs the
// detail of unexpected ones, which the caller never sees, and the cause of an unavailable
// or slow store (the database's SQLSTATE and message, say), which operators need.
type errorMapper struct{ log *slog.Logger }

func (m *errorMapper) mapErr(ctx context.Context, method string, err error) error {
	if err == nil {
		return nil
	}
	st, internal := apierr.Status(err)
	var e *errs.Error
	switch {
	case internal:
		m.log.ErrorContext(ctx, "internal error", "request_id", requestid.From(ctx),
			"grpc.method", method, "error", err.Error())
	case errors.As(err, &e) && e.Unwrap() != nil && (e.Kind == errs.Unavailable || e.Kind == errs.DeadlineExceeded):
		m.log.WarnContext(ctx, "the store failed the call", "request_id", requestid.From(ctx),
			"grpc.method", method, "grpc.code", st.Code().String(), "error", err.Error())
	}
	return st.Err()
}

func (m *errorMapper) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	return resp, m.mapErr(ctx, info.FullMethod, err)
}

func (m *errorMapper) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return m.mapErr(ss.Context(), info.FullMethod, handler(srv, ss))
}

// validation enforces the protovalidate rules declared in the protos.
type validation struct{ v protovalidate.Validator }

func (v *validation) check(msg any) error {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil
	}
	err := v.v.Validate(m)
	if err == nil {
		return nil
	}
	verr, ok := err.(*protovalidate.ValidationError)
	if !ok {
		return err // a rule that fails to compile or run: a bug, reported as INTERNAL
	}
	violations := make([]errs.Violation, 0, len(verr.Violations))
	for _, x := range verr.Violations {
		violations = append(violations, errs.Violation{
			Field:       protovalidate.FieldPathString(x.Proto.GetField()),
			Description: x.Proto.GetMessage(),
		})
	}
	return errs.Invalid(violations...)
}

func (v *validation) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := v.check(req); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (v *validation) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &validatingStream{ServerStream: ss, v: v})
}

type validatingStream struct {
	grpc.ServerStream
	v *validation
}

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.v.check(m)
}

// streamWorkers is how many goroutines serve calls and stay for the next: a call handed to
// one runs on a stack already grown to the interceptor chain's depth, where a goroutine of
// its own would grow (copy) its stack on every call. Calls beyond them get a goroutine each.
const streamWorkers = 64
