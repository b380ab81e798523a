package grpcx

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"buf.build/go/protovalidate"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Local is a connection to the services registered with it, in this process: the REST
// gateway's and the console's. A unary call runs its method's handler through the same
// interceptors, in the same order, as NewServer's, with the caller's outgoing metadata as
// the handler's incoming metadata, so every rule applies to it as to a gRPC call: access
// (the gateway's metadata vouches for the REST client as before), rate limits, validation,
// audit, logs and metrics. What it skips is the work of a connection: encoding the request
// and the answer, HTTP/2 framing and the transport's goroutines, which over an in-memory
// listener were still about a fifth of a REST call's CPU. The handler gets a copy of the
// request, as from the wire; the caller gets the handler's answer itself, to read only
// (see move). It serves no stream: none of
// carepath's has a REST binding, and the console calls none.
//
// The server's limits on messages hold: the interceptors check a request's size, and Local
// refuses an answer over MaxSendMsgSize as the server would. Stats handlers given to Local
// (the server's tracing) see each call as the server's would, begun and ended.
type Local struct {
	methods map[string]localMethod
	unary   grpc.UnaryServerInterceptor
	invoke  grpc.UnaryInvoker
	stats   []stats.Handler
}

type localMethod struct {
	impl    any
	handler grpc.MethodHandler
}

var (
	_ grpc.ClientConnInterface = (*Local)(nil)
	_ grpc.ServiceRegistrar    = (*Local)(nil)
)

// NewLocal returns a Local whose calls pass the interceptors NewServer's would with the
// same arguments, after the client interceptors given, in order, seen by handlers.
func NewLocal(log *slog.Logger, metrics *grpcprom.ServerMetrics, validator protovalidate.Validator, guard Guard,
	large map[string]int, handlers []stats.Handler, client ...grpc.UnaryClientInterceptor) *Local {
	l := &Local{
		methods: map[string]localMethod{},
		unary:   chainUnary(newChain(log, metrics, validator, guard, large).unary),
		stats:   handlers,
	}
	l.invoke = l.call
	for i := len(client) - 1; i >= 0; i-- {
		next, ic := l.invoke, client[i]
		l.invoke = func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
			return ic(ctx, method, req, reply, cc, next, opts...)
		}
	}
	return l
}

// RegisterService makes desc's unary methods callable through l. Like grpc.Server's, it
// refuses at start-up an impl that does not implement desc's service.
func (l *Local) RegisterService(desc *grpc.ServiceDesc, impl any) {
	if want := reflect.TypeOf(desc.HandlerType).Elem(); !reflect.TypeOf(impl).Implements(want) {
		panic(fmt.Sprintf("grpcx: %T does not implement %s", impl, desc.ServiceName))
	}
	for _, m := range desc.Methods {
		l.methods["/"+desc.ServiceName+"/"+m.MethodName] = localMethod{impl: impl, handler: m.Handler}
	}
}

// Invoke calls a unary method in this process.
func (l *Local) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return l.invoke(ctx, method, args, reply, nil, opts...)
}

// NewStream refuses: streams are served over gRPC only.
func (l *Local) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "streaming calls are served over gRPC only")
}

func (l *Local) call(ctx context.Context, method string, args, reply any, _ *grpc.ClientConn, opts ...grpc.CallOption) error {
	m, ok := l.methods[method]
	if !ok {
		return status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
	md, _ := metadata.FromOutgoingContext(ctx) // a copy
	st := &localStream{method: method}
	ctx = grpc.NewContextWithServerTransportStream(metadata.NewIncomingContext(ctx, md), st)
	begin := time.Now()
	for _, h := range l.stats {
		ctx = h.TagRPC(ctx, &stats.RPCTagInfo{FullMethodName: method})
		h.HandleRPC(ctx, &stats.Begin{BeginTime: begin})
	}
	err := l.run(ctx, m, args, reply)
	for _, h := range l.stats {
		h.HandleRPC(ctx, &stats.End{BeginTime: begin, EndTime: time.Now(), Error: err})
	}
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = st.header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = st.trailer
		}
	}
	return err
}

func (l *Local) run(ctx context.Context, m localMethod, args, reply any) error {
	// The handler decodes its request into a message of its own, as it would from the wire.
	dec := func(in any) error {
		proto.Merge(in.(proto.Message), args.(proto.Message))
		return nil
	}
	resp, err := m.handler(m.impl, ctx, dec, l.unary)
	if err != nil {
		if _, ok := status.FromError(err); ok {
			return err
		}
		return status.FromContextError(err).Err() // as the server answers an error that is no status
	}
	out := resp.(proto.Message)
	if proto.Size(out) > MaxSendMsgSize {
		return status.Errorf(codes.ResourceExhausted, "the answer is larger than %d bytes", MaxSendMsgSize)
	}
	move(reply.(proto.Message), out)
	return nil
}

// move gives the caller the handler's answer. Over the wire the answer is encoded and the
// caller decodes a copy; in process a deep copy costs as much (a tenth of a REST page's
// CPU). Every carepath handler renders a fresh answer for each call and keeps none of it,
// so its fields are set on the caller's message as they are. Some of an answer's lists
// may still share memory with what the process holds (the catalogue's sources), as they
// did inside the handler: the caller reads an answer and never changes it in place, as
// the gateway and the console do.
func move(dst, src proto.Message) {
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	if d.Descriptor() != s.Descriptor() {
		proto.Merge(dst, src) // a reply of another type, which no generated client passes: Merge panics on it
		return
	}
	s.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		d.Set(fd, v)
		return true
	})
	d.SetUnknown(s.GetUnknown())
}

// chainUnary runs interceptors in order around a handler, as grpc.ChainUnaryInterceptor.
func chainUnary(ics []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return ics[0](ctx, req, info, nextHandler(ics, 1, info, handler))
	}
}

func nextHandler(ics []grpc.UnaryServerInterceptor, i int, info *grpc.UnaryServerInfo, last grpc.UnaryHandler) grpc.UnaryHandler {
	if i == len(ics) {
		return last
	}
	return func(ctx context.Context, req any) (any, error) {
		return ics[i](ctx, req, info, nextHandler(ics, i+1, info, last))
	}
}

// localStream is a local call's grpc.ServerTransportStream: it names the method
// (grpc.Method) and keeps the header and trailer the handler sets, for the caller's
// grpc.Header and grpc.Trailer options. A unary handler uses it from its own goroutine.
type localStream struct {
	method          string
	header, trailer metadata.MD
}

func (s *localStream) Method() string { return s.method }

func (s *localStream) SetHeader(md metadata.MD) error {
	s.header = metadata.Join(s.header, md)
	return nil
}

func (s *localStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

func (s *localStream) SetTrailer(md metadata.MD) error {
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}
