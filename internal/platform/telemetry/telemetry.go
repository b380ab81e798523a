// Package telemetry traces carepath with OpenTelemetry: the REST gateway's HTTP requests, its
// calls to the gRPC server, the gRPC calls, database queries and River jobs, as one trace per
// request, exported over OTLP/gRPC when an endpoint is configured. Off, it installs nothing:
// no span is started and no call pays for it.
//
// Spans carry no personal data: no request or response bodies, no query parameters (REST
// paths are reduced to their route, ids replaced by *), SQL statements without their
// arguments, and database errors reduced to their SQLSTATE (a PostgreSQL message may quote
// a value).
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river/rivertype"
	"github.com/riverqueue/rivercontrib/otelriver"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// Tracing is the tracer provider and what instruments each component with it. The zero
// value (and New with no endpoint) is off.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// New starts exporting spans to the OTLP/gRPC endpoint, a URL such as
// http://otel-collector:4317 (https for TLS); "" leaves tracing off. The exporter also
// follows the standard OTEL_EXPORTER_OTLP_* variables (headers, certificates, timeout), and
// the sampler OTEL_TRACES_SAMPLER (parent-based, always on, unless set).
func New(ctx context.Context, endpoint string) (*Tracing, error) {
	if endpoint == "" {
		return &Tracing{}, nil
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(endpoint))
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName("carepath")))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	return &Tracing{provider: sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))}, nil
}

// On reports whether spans are recorded and exported.
func (t *Tracing) On() bool { return t != nil && t.provider != nil }

// Shutdown exports the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.On() {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// propagator carries the trace across process boundaries in W3C traceparent headers.
var propagator = propagation.TraceContext{}

// Metrics stay Prometheus': the instrumentations get a meter provider that records nothing.
var noMeter = metricnoop.NewMeterProvider()

// ServerOptions trace a gRPC server's calls.
func (t *Tracing) ServerOptions() []grpc.ServerOption {
	var opts []grpc.ServerOption
	for _, h := range t.ServerHandlers() {
		opts = append(opts, grpc.StatsHandler(h))
	}
	return opts
}

// ServerHandlers trace calls as a gRPC server does: for calls made in this process
// (grpcx.Local), which no server sees.
func (t *Tracing) ServerHandlers() []stats.Handler {
	if !t.On() {
		return nil
	}
	return []stats.Handler{otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(t.provider),
		otelgrpc.WithPropagators(propagator), otelgrpc.WithMeterProvider(noMeter), otelgrpc.WithFilter(notOperational))}
}

// notOperational leaves health checks and reflection out of the traces.
func notOperational(info *stats.RPCTagInfo) bool {
	return !strings.HasPrefix(info.FullMethodName, "/grpc.health.") && !strings.HasPrefix(info.FullMethodName, "/grpc.reflection.")
}

// HTTP traces the API requests h serves (those under /v1/: not probes or metrics). A span is
// named after the method and the route, and its url.path is the route too: a path's ids
// (people's included) stay out of the trace.
func (t *Tracing) HTTP(h http.Handler) http.Handler {
	if !t.On() {
		return h
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := Route(r.URL.Path)
		trace.SpanFromContext(r.Context()).SetAttributes(semconv.URLPath(route), semconv.HTTPRoute(route))
		h.ServeHTTP(w, r)
	})
	return otelhttp.NewHandler(inner, "carepath.http", otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(propagator), otelhttp.WithMeterProvider(noMeter),
		otelhttp.WithFilter(func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/v1/") }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + Route(r.URL.Path) }))
}

// Route is an API path with its resource ids replaced by *:
// /v1/youngPeople/{id}/milestones/{id}:complete becomes /v1/youngPeople/*/milestones/*:complete.
// In AIP paths ids follow collection names, so every other segment after the version is an
// id; other paths are kept as they are.
func Route(path string) string {
	if !strings.HasPrefix(path, "/v1/") {
		return path
	}
	segs := strings.Split(path, "/")
	for i := 3; i < len(segs); i += 2 {
		id, verb, ok := strings.Cut(segs[i], ":")
		if id != "" {
			segs[i] = "*"
			if ok {
				segs[i] += ":" + verb
			}
		}
	}
	return strings.Join(segs, "/")
}

// PgxTracer traces database queries, batches and connections; nil when off.
func (t *Tracing) PgxTracer() pgx.QueryTracer {
	if !t.On() {
		return nil
	}
	return &pgxTracer{t: otelpgx.NewTracer(otelpgx.WithTracerProvider(t.provider), otelpgx.WithMeterProvider(noMeter),
		otelpgx.WithTrimSQLInSpanName(), otelpgx.WithDisableQuerySpanNamePrefix())}
}

// pgxTracer is otelpgx's tracer with database errors reduced to their SQLSTATE before they
// reach a span: PostgreSQL's messages and details may quote the values of a row. (otelpgx
// traces only queries made under a recording span, a call's or a job's: background work,
// such as the audit sealer's every second, stays out of the traces.)
type pgxTracer struct{ t *otelpgx.Tracer }

func (p *pgxTracer) TraceQueryStart(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	return p.t.TraceQueryStart(ctx, c, d)
}

func (p *pgxTracer) TraceQueryEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryEndData) {
	d.Err = redact(d.Err)
	p.t.TraceQueryEnd(ctx, c, d)
}

func (p *pgxTracer) TraceBatchStart(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	return p.t.TraceBatchStart(ctx, c, d)
}

func (p *pgxTracer) TraceBatchQuery(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchQueryData) {
	d.Err = redact(d.Err)
	p.t.TraceBatchQuery(ctx, c, d)
}

func (p *pgxTracer) TraceBatchEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceBatchEndData) {
	d.Err = redact(d.Err)
	p.t.TraceBatchEnd(ctx, c, d)
}

func (p *pgxTracer) TraceConnectStart(ctx context.Context, d pgx.TraceConnectStartData) context.Context {
	return p.t.TraceConnectStart(ctx, d)
}

func (p *pgxTracer) TraceConnectEnd(ctx context.Context, d pgx.TraceConnectEndData) {
	p.t.TraceConnectEnd(ctx, d)
}

func redact(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &pgErr):
		return fmt.Errorf("SQLSTATE %s", pgErr.Code)
	default:
		return errors.New("database error")
	}
}

// RiverMiddleware traces River's job inserts and runs; a run is linked to the span that
// inserted its job (through the job's metadata); nil when off. Spans carry the job's kind, queue and attempt (a
// job's arguments are ids only, and are not recorded).
func (t *Tracing) RiverMiddleware() []rivertype.Middleware {
	if !t.On() {
		return nil
	}
	return []rivertype.Middleware{otelriver.NewMiddleware(&otelriver.MiddlewareConfig{
		TracerProvider: t.provider, MeterProvider: noMeter, EnableTracePropagation: true})}
}

// LogHandler adds the trace and span ids of the context's span to every record logged with
// a context, so that a log line leads to its trace.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(as)}
}
func (l logHandler) WithGroup(name string) slog.Handler { return logHandler{l.Handler.WithGroup(name)} }
