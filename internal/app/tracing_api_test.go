package app_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/testclock"
)

// otlpCollector is an OpenTelemetry collector's trace service in memory: a real OTLP/gRPC
// server on loopback that keeps every span it is sent.
type otlpCollector struct {
	collectortrace.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []*tracepb.ResourceSpans
	addr  string
}

func newOTLPCollector(t *testing.T) *otlpCollector {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &otlpCollector{addr: lis.Addr().String()}
	s := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(s, c)
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return c
}

func (c *otlpCollector) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.spans = append(c.spans, req.GetResourceSpans()...)
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// span is one exported span with the name of the instrumentation that made it.
type span struct {
	scope string
	*tracepb.Span
}

func (c *otlpCollector) all() ([]span, []*tracepb.ResourceSpans) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []span
	for _, rs := range c.spans {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				out = append(out, span{ss.GetScope().GetName(), s})
			}
		}
	}
	return out, c.spans
}

// With tracing on, a REST call is one trace: the gateway's HTTP span, the gRPC server span
// (the gateway calls the service in process: grpcx.Local) and the database's spans, each
// the child of the one before; its log
// lines carry the trace id; and no span says anything personal about the young person, even
// when the request's query names their date of birth.
func TestTracingFollowsARESTCallToTheDatabaseWithoutPersonalData(t *testing.T) {
	t.Parallel()
	collector := newOTLPCollector(t)
	cfg := postgresBackend().configure(t)
	cfg.OTLPEndpoint = "http://" + collector.addr
	cfg.WebhookAllowPrivate = true
	cfg.AuditSealInterval = 20 * time.Millisecond // background work, which must stay out of the traces
	s := start(t, cfg)
	// The young person turned 16y3m five days ago: creating them raises a reminder, delivered
	// by a River job to the council's endpoint.
	hook := newReceiver(t, http.StatusNoContent)
	mustREST(t, s.as(tokenFor(t, "ada-admin")).do(t, "POST", "/v1/organisations/nottinghamshire/webhookEndpoints",
		fmt.Sprintf(`{"url": %q, "description": "case system"}`, hook.URL)))

	dob := civil.Today(testclock.Now()).AddDays(-5).Sub(civil.Period{Years: 16, Months: 3}, civil.FebruaryTwentyEighth)
	const given, family, caseRef = "Zephyrine", "Quillfeather", "TRACE-77231"
	r := mustREST(t, s.do(t, "POST", "/v1/youngPeople", fmt.Sprintf(`{"givenName": %q, "familyName": %q,
		"dateOfBirth": {"year": %d, "month": %d, "day": %d}, "council": "organisations/nottinghamshire",
		"caseReference": %q, "personalAdviser": "people/%s"}`, given, family, dob.Year, dob.Month, dob.Day, caseRef, s.person)))
	name, _ := r.json(t)["name"].(string)
	get := mustREST(t, s.do(t, "GET", "/v1/"+name, ""))
	if !strings.Contains(string(get.body), family) {
		t.Fatalf("GET %s: %s", name, get.body)
	}
	filter := url.QueryEscape(fmt.Sprintf(`date_of_birth = "%s"`, dob))
	if list := mustREST(t, s.do(t, "GET", "/v1/youngPeople?filter="+filter, "")); !strings.Contains(string(list.body), family) {
		t.Fatalf("the filtered list misses the young person: %s", list.body)
	}
	eventually(t, "the reminder's webhook delivery", func() bool { return len(hook.got()) > 0 })
	s.stop() // flushes the spans still buffered

	spans, resources := collector.all()
	// The GET: the gateway's server span, then down the call.
	var httpSpan span
	for _, sp := range spans {
		if strings.Contains(sp.scope, "otelhttp") && sp.GetName() == "GET /v1/youngPeople/*" {
			httpSpan = sp
		}
	}
	if httpSpan.Span == nil {
		t.Fatalf("no HTTP span for GET /v1/youngPeople/*; spans: %v", spanNames(spans))
	}
	child := func(parent span, scope string, kind tracepb.Span_SpanKind) span {
		t.Helper()
		for _, sp := range spans {
			if strings.Contains(sp.scope, scope) && sp.GetKind() == kind && string(sp.GetParentSpanId()) == string(parent.GetSpanId()) &&
				string(sp.GetTraceId()) == string(parent.GetTraceId()) {
				return sp
			}
		}
		t.Fatalf("no %s %s span under %q; spans: %v", scope, kind, parent.GetName(), spanNames(spans))
		return span{}
	}
	server := child(httpSpan, "otelgrpc", tracepb.Span_SPAN_KIND_SERVER)
	if server.GetName() != "carepath.v1.YoungPeopleService/GetYoungPerson" {
		t.Errorf("gRPC server span %q", server.GetName())
	}
	inTrace := 0
	for _, sp := range spans {
		if strings.Contains(sp.scope, "otelpgx") && string(sp.GetTraceId()) == string(server.GetTraceId()) {
			inTrace++
		}
	}
	for _, sp := range spans {
		if strings.Contains(sp.scope, "otelpgx") && len(sp.GetParentSpanId()) == 0 {
			t.Errorf("database span %q belongs to no call or job (background work is not traced)", sp.GetName())
		}
	}
	if inTrace == 0 {
		t.Errorf("no database span in the GET's trace; spans: %v", spanNames(spans))
	}

	// The POST queued the delivery job; River's run of it is linked to the POST's trace.
	var post span
	for _, sp := range spans {
		if strings.Contains(sp.scope, "otelhttp") && sp.GetName() == "POST /v1/youngPeople" {
			post = sp
		}
	}
	worked := false
	for _, sp := range spans {
		if !strings.Contains(sp.scope, "otelriver") || !strings.Contains(sp.GetName(), "work") || post.Span == nil {
			continue
		}
		for _, l := range sp.GetLinks() {
			worked = worked || string(l.GetTraceId()) == string(post.GetTraceId())
		}
	}
	if !worked {
		t.Errorf("no River job run linked to the POST's trace; spans: %v", spanNames(spans))
	}

	traceID := hex.EncodeToString(server.GetTraceId())
	if !strings.Contains(s.logs.String(), `"trace_id":"`+traceID+`"`) {
		t.Errorf("no log line carries the trace id %s:\n%s", traceID, s.logs.String())
	}

	// Nothing personal anywhere in what was exported: names, attributes, events, statuses,
	// resources. The date is looked for as written in the query and as ISO 8601.
	exported := ""
	for _, rs := range resources {
		b, err := protojson.Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		exported += string(b)
	}
	for _, secret := range []string{given, family, caseRef, dob.String(),
		fmt.Sprintf(`"year": %d`, dob.Year), fmt.Sprintf("%d-%02d", dob.Year, dob.Month)} {
		if strings.Contains(exported, secret) {
			t.Errorf("the exported spans contain %q", secret)
			for _, sp := range spans {
				if strings.Contains(fmt.Sprint(sp.GetName(), attrs(sp.GetAttributes()), sp.GetEvents(), sp.GetStatus()), secret) {
					t.Logf("in %s span %q: %v", sp.scope, sp.GetName(), attrs(sp.GetAttributes()))
				}
			}
		}
	}
}

func spanNames(spans []span) []string {
	var out []string
	for _, sp := range spans {
		out = append(out, sp.GetName())
	}
	return out
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.GetKey()] = kv.GetValue().String()
	}
	return m
}
