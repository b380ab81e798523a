// Package app is carepath's composition root: it turns a Config into a running server,
// choosing the store, building the gRPC server and its REST gateway, and shutting them
// down in order.
package app

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"buf.build/go/protovalidate"
	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionalphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/console"
	"github.com/carepath/carepath/internal/delivery"
	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain/catalogue"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/planner"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/platform/gateway"
	"github.com/carepath/carepath/internal/platform/grpcx"
	"github.com/carepath/carepath/internal/platform/ratelimit"
	"github.com/carepath/carepath/internal/platform/telemetry"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/store/postgres"
	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
	"github.com/carepath/carepath/services/accessadmin"
	"github.com/carepath/carepath/services/auditlog"
	"github.com/carepath/carepath/services/board"
	"github.com/carepath/carepath/services/careepisodes"
	catalogueservice "github.com/carepath/carepath/services/catalogue"
	"github.com/carepath/carepath/services/deliveryplans"
	"github.com/carepath/carepath/services/partner"
	"github.com/carepath/carepath/services/pathways"
	readinessservice "github.com/carepath/carepath/services/readiness"
	"github.com/carepath/carepath/services/reminders"
	"github.com/carepath/carepath/services/returns"
	"github.com/carepath/carepath/services/sharing"
	"github.com/carepath/carepath/services/voice"
	"github.com/carepath/carepath/services/youngpeople"
)

// App is a carepath server whose listeners are open.
type App struct {
	cfg      Config
	now      func() time.Time // the service's clock: dates, ages and reminders follow it
	log      *slog.Logger
	store    store.Store
	calls    store.Store // the store as API calls see it: bounded by the database timeout
	planner  *planner.Planner
	replan   chan struct{} // pokes the pathway refresher
	grpc     *grpc.Server  // the public gRPC listener's
	health   *health.Server
	http     *http.Server
	local    *grpcx.Local // the services in this process, for the gateway and the console
	grpcLis  net.Listener
	httpLis  net.Listener
	tls      *tls.Config
	ready    atomic.Bool
	stopping atomic.Bool // set on shutdown: readiness stays NOT_SERVING
	services []string
	// The operators' listeners, when configured (--admin-addr, --admin-grpc-addr).
	adminHTTP    *http.Server
	adminGRPC    *grpc.Server
	adminLis     net.Listener
	adminGRPCLis net.Listener
	// Deliveries run on River with PostgreSQL, or in-process with the memory store.
	river      *river.Client[pgx.Tx]
	dispatcher *delivery.Dispatcher
	sealer     *sealer
	tracing    *telemetry.Tracing // OpenTelemetry, off unless an OTLP endpoint is configured
	stopBG     context.CancelFunc // stops background work tied to the app's life (key set refresh)
	bg         context.Context    // that background work's context (imports on the memory store)
}

// readinessInterval is how often the store is checked for health reporting.
const readinessInterval = 5 * time.Second

// httpWriteTimeout bounds the writing of an HTTP answer, from the end of the request's
// headers (or, for an import, from the end of its upload's time).
const httpWriteTimeout = 60 * time.Second

// New opens the store and the listeners; Run serves. On failure whatever was opened is
// closed again and the error says which step failed.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Log lines of a traced call carry its trace and span ids.
	log = slog.New(telemetry.LogHandler(log.Handler()))
	a := &App{cfg: cfg, now: cfg.now(), log: log, replan: make(chan struct{}, 1)}
	if cfg.DevIssuerOn() && cfg.DatabaseURL != "" {
		log.Warn("the development issuer runs with a database: anyone can mint a token for anyone registered in it; " +
			"for trying carepath on your own machine only, never in production")
	}
	if !cfg.ClockStart.IsZero() {
		log.Warn("the service's clock is shifted (--clock-start): for tests and demonstrations only", "clock_start", cfg.ClockStart)
	}
	if cfg.DatabaseURL != "" && (cfg.Reflection || cfg.PublicMetrics) {
		log.Warn("gRPC reflection or /metrics answer without a token on the public listeners; in production set " +
			"--grpc-reflection=false --public-metrics=false and serve them on --admin-addr and --admin-grpc-addr")
	}
	if err := a.open(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// open binds the listeners, then opens the store and builds the servers on them.
func (a *App) open(ctx context.Context) error {
	cfg, log := a.cfg, a.log
	// The listeners first: a port in use is found at once, before the slower steps.
	var err error
	if a.grpcLis, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
		return fmt.Errorf("gRPC listener: %w", err)
	}
	if a.httpLis, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return fmt.Errorf("HTTP listener: %w", err)
	}
	if cfg.AdminAddr != "" {
		if a.adminLis, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
			return fmt.Errorf("admin HTTP listener: %w", err)
		}
	}
	if cfg.AdminGRPCAddr != "" {
		if a.adminGRPCLis, err = net.Listen("tcp", cfg.AdminGRPCAddr); err != nil {
			return fmt.Errorf("admin gRPC listener: %w", err)
		}
	}
	bg, stop := context.WithCancel(context.Background())
	a.stopBG, a.bg = stop, bg
	if a.tracing, err = telemetry.New(ctx, cfg.OTLPEndpoint); err != nil {
		return err
	}
	a.planner = planner.New(catalogue.Default(), a.now)
	a.planner.SetLogger(log)
	a.store, err = openStore(ctx, cfg, a.planner, civil.Today(a.now()), log,
		postgres.Options{Tracer: a.tracing.PgxTracer(), RiverMiddleware: a.tracing.RiverMiddleware()})
	if err != nil {
		return err
	}
	verifier, err := newVerifier(bg, cfg)
	if err != nil {
		return err
	}
	if a.tls, err = tlsConfig(cfg); err != nil {
		return err
	}
	gatewaySecret := rand.Text()

	// Compiling every request's rules now turns a bad rule into a start-up failure instead
	// of an INTERNAL error on the first call.
	validator, err := protovalidate.New(protovalidate.WithMessageDescriptors(requestMessages()...))
	if err != nil {
		return fmt.Errorf("protovalidate: %w", err)
	}
	registry := prometheus.NewRegistry()
	metrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	registry.MustRegister(metrics, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	countReminders(a.planner, registry)
	if pg, ok := a.store.(*postgres.Store); ok {
		registry.MustRegister(newPoolCollector(pg.Pool()), newQueueCollector(pg.Pool(), log))
	}
	if err := a.startDelivery(cfg, registry); err != nil {
		return err
	}
	calls := callStore{Store: a.store, timeout: cfg.DatabaseTimeout}
	a.sealer = newSealer(a.store, a.now, a.ready.Load, log, registry)
	guard := access.NewAuthenticator(calls, verifier, gatewaySecret,
		access.CacheConfig{TTL: cfg.PrincipalCacheTTL, Now: cfg.tokenClock()}, a.now, log)
	// The services change people and organisations through a store that forgets the cached
	// principals whenever they do (demo data and `carepath setup` are loaded before any
	// call, or by another process, which the cache's TTL bounds like another replica).
	a.calls = guard.Watch(calls)
	a.health = health.NewServer()
	// One limiter for both gRPC servers, so REST and gRPC calls count together.
	limited := ratelimit.New(cfg.rateLimits(rateLimited(registry))).Guarded(guard)
	// The import's files may make its request far larger than any other's.
	large := map[string]int{importMethod: int(cfg.ImportMaxBytes) + 64<<10}
	newServer := func(opts ...grpc.ServerOption) *grpc.Server {
		s := grpcx.NewServer(log, metrics, validator, limited, large, append(opts, a.tracing.ServerOptions()...)...)
		a.register(s)
		if cfg.Reflection {
			reflection.Register(s)
		}
		return s
	}
	if a.tls != nil {
		a.grpc = newServer(grpc.Creds(credentials.NewTLS(a.tls)))
	} else {
		a.grpc = newServer()
	}
	metrics.InitializeMetrics(a.grpc)
	for name := range a.grpc.GetServiceInfo() {
		a.services = append(a.services, name)
	}
	a.setServing(false)

	// The gateway and the console call our own services in this process (grpcx.Local),
	// through the server's interceptors, so REST calls and pages pass every one. The
	// gateway's metadata, under a per-process secret, says who called (see
	// access.Authenticator).
	a.local = grpcx.NewLocal(log, metrics, validator, limited, large, a.tracing.ServerHandlers(), gateway.CheckQuery)
	a.register(a.local)
	gw := gateway.NewServeMux(runtime.WithMetadata(gatewayMetadata(gatewaySecret)), gateway.WithFormats(board.Formats()...))
	for _, svc := range a.apis() {
		if err := svc.gateway(ctx, gw, a.local); err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
	}
	routes := a.publicRoutes(gateway.Suffixes(gw, board.ReportPath, board.Formats()...), registry)
	if cfg.Console {
		c, err := a.console(ctx, gatewayMetadata(gatewaySecret))
		if err != nil {
			return fmt.Errorf("console: %w", err)
		}
		if c != nil {
			routes = append(routes, route{console.Prefix, c}, route{"GET /app", http.RedirectHandler(console.Prefix, http.StatusMovedPermanently)})
		}
	}
	a.http = a.httpServer(a.tracing.HTTP(handler(routes)))
	a.http.TLSConfig = a.tls
	if a.adminLis != nil {
		a.adminHTTP = a.httpServer(handler(a.adminRoutes(registry)))
	}
	if a.adminGRPCLis != nil {
		a.adminGRPC = a.newAdminGRPC()
	}
	return nil
}

func (a *App) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second, // but an import's upload: importUploadTimeout
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

// newAdminGRPC is the operators' gRPC server: reflection describing the public server's
// services, and health. It calls no carepath method, so it needs no interceptors.
func (a *App) newAdminGRPC() *grpc.Server {
	s := grpc.NewServer()
	opts := reflection.ServerOptions{Services: a.grpc}
	reflectionpb.RegisterServerReflectionServer(s, reflection.NewServerV1(opts))
	reflectionalphapb.RegisterServerReflectionServer(s, reflection.NewServer(opts))
	healthpb.RegisterHealthServer(s, a.health)
	return s
}

// service is one carepath API: its gRPC implementation and its REST gateway, kept together
// so that no service is served over one protocol only.
type service struct {
	grpc    func(grpc.ServiceRegistrar)
	gateway func(context.Context, *runtime.ServeMux, grpc.ClientConnInterface) error
}

// api is the service desc implemented by impl (the gRPC server checks that it does), served
// over REST by the gateway handler gw through a client of the connection it is given.
func api[C any](desc *grpc.ServiceDesc, impl any,
	gw func(context.Context, *runtime.ServeMux, C) error, client func(grpc.ClientConnInterface) C) service {
	return service{
		grpc: func(s grpc.ServiceRegistrar) { s.RegisterService(desc, impl) },
		gateway: func(ctx context.Context, mux *runtime.ServeMux, cc grpc.ClientConnInterface) error {
			return gw(ctx, mux, client(cc))
		},
	}
}

func (a *App) apis() []service {
	now := a.now
	var run func(string) // PostgreSQL queues a River job with an import's operation
	if a.dispatcher != nil {
		run = a.runImport
	}
	return []service{
		api(&pb.YoungPeopleService_ServiceDesc, youngpeople.New(a.calls, a.planner, now),
			pb.RegisterYoungPeopleServiceHandlerClient, pb.NewYoungPeopleServiceClient),
		api(&pb.CareEpisodesService_ServiceDesc, careepisodes.New(a.calls, a.planner, now),
			pb.RegisterCareEpisodesServiceHandlerClient, pb.NewCareEpisodesServiceClient),
		api(&pb.PathwaysService_ServiceDesc, pathways.New(a.calls, a.planner, now),
			pb.RegisterPathwaysServiceHandlerClient, pb.NewPathwaysServiceClient),
		api(&pb.CatalogueService_ServiceDesc, catalogueservice.New(a.calls, a.planner, now, a.pokeRefresher),
			pb.RegisterCatalogueServiceHandlerClient, pb.NewCatalogueServiceClient),
		api(&pb.AccessService_ServiceDesc, accessadmin.New(a.calls, now),
			pb.RegisterAccessServiceHandlerClient, pb.NewAccessServiceClient),
		api(&pb.SharingService_ServiceDesc, sharing.New(a.calls, a.planner, now),
			pb.RegisterSharingServiceHandlerClient, pb.NewSharingServiceClient),
		api(&pb.PartnerService_ServiceDesc, partner.New(a.calls, a.planner, now),
			pb.RegisterPartnerServiceHandlerClient, pb.NewPartnerServiceClient),
		api(&pb.ReadinessService_ServiceDesc, readinessservice.New(a.calls, a.planner, now),
			pb.RegisterReadinessServiceHandlerClient, pb.NewReadinessServiceClient),
		api(&pb.BoardService_ServiceDesc, board.New(a.calls, a.planner, now),
			pb.RegisterBoardServiceHandlerClient, pb.NewBoardServiceClient),
		api(&pb.DeliveryPlanService_ServiceDesc, deliveryplans.New(a.calls, a.planner, now),
			pb.RegisterDeliveryPlanServiceHandlerClient, pb.NewDeliveryPlanServiceClient),
		api(&pb.VoiceService_ServiceDesc, voice.New(a.calls, a.planner, now),
			pb.RegisterVoiceServiceHandlerClient, pb.NewVoiceServiceClient),
		api(&pb.AuditService_ServiceDesc, auditlog.New(a.calls, now),
			pb.RegisterAuditServiceHandlerClient, pb.NewAuditServiceClient),
		api(&pb.ReminderService_ServiceDesc, reminders.New(a.calls, now, a.webhooks()),
			pb.RegisterReminderServiceHandlerClient, pb.NewReminderServiceClient),
		api(&pb.Ssda903Service_ServiceDesc, returns.New(a.calls, now, run, a.cfg.ImportMaxBytes),
			pb.RegisterSsda903ServiceHandlerClient, pb.NewSsda903ServiceClient),
		api(&pb.OperationsService_ServiceDesc, returns.NewOperations(a.calls, now),
			pb.RegisterOperationsServiceHandlerClient, pb.NewOperationsServiceClient),
	}
}

// register adds every carepath service, and health, to a gRPC server (or to a.local).
func (a *App) register(s grpc.ServiceRegistrar) {
	for _, svc := range a.apis() {
		svc.grpc(s)
	}
	healthpb.RegisterHealthServer(s, a.health)
}

// gatewayMetadata vouches, with the in-process secret, for what only the gateway knows of a
// REST client: its address and, over mutual TLS, its certificate's subject.
func gatewayMetadata(secret string) func(context.Context, *http.Request) metadata.MD {
	return func(_ context.Context, r *http.Request) metadata.MD {
		md := metadata.Pairs(access.GatewaySecretKey, secret)
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			md.Set(access.GatewayAddressKey, host)
		}
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			if subject := access.CertificateSubject(r.TLS.VerifiedChains[0][0].URIs); subject != "" {
				md.Set(access.GatewayCertKey, subject)
			}
		}
		return md
	}
}

// newVerifier verifies bearer tokens: the identity provider's, or the development issuer's.
func newVerifier(bg context.Context, cfg Config) (authn.Verifier, error) {
	if cfg.DevIssuerOn() {
		// Token lifetimes run on the real clock, whatever the service's clock says.
		return authn.DevVerifier(cfg.tokenClock()), nil
	}
	return authn.NewJWKSVerifier(bg, authn.Config{Issuer: cfg.AuthIssuer, Audience: cfg.AuthAudience, JWKSURL: cfg.AuthJWKSURL,
		Now: cfg.tokenClock()})
}

// openStore picks the backend: PostgreSQL when a database URL is given, else memory with
// the demo data.
func openStore(ctx context.Context, cfg Config, p *planner.Planner, today civil.Date, log *slog.Logger,
	opts postgres.Options) (store.Store, error) {
	if cfg.DatabaseURL == "" {
		s := memory.New()
		if cfg.DemoData {
			n, err := demo.Load(ctx, s, p, today)
			if err != nil {
				return nil, fmt.Errorf("demo data: %w", err)
			}
			log.Info("loaded demo data into the in-memory store", "young_people", n)
		}
		return s, nil
	}
	if cfg.MigrateOnStart {
		if err := postgres.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
			return nil, err
		}
	}
	return postgres.Open(ctx, cfg.DatabaseURL, opts)
}

// requestMessages returns the request message of every carepath RPC.
func requestMessages() []protoreflect.MessageDescriptor {
	var out []protoreflect.MessageDescriptor
	protoregistry.GlobalFiles.RangeFilesByPackage("carepath.v1", func(fd protoreflect.FileDescriptor) bool {
		for i := range fd.Services().Len() {
			methods := fd.Services().Get(i).Methods()
			for j := range methods.Len() {
				out = append(out, methods.Get(j).Input())
			}
		}
		return true
	})
	return out
}

// Migrate applies the database migrations (`carepath migrate`).
func Migrate(ctx context.Context, databaseURL string, log *slog.Logger) error {
	return postgres.Migrate(ctx, databaseURL, log)
}

// GRPCAddr and HTTPAddr are the addresses the listeners are bound to; AdminAddr and
// AdminGRPCAddr those of the operators' listeners, "" when there are none.
func (a *App) GRPCAddr() string      { return a.grpcLis.Addr().String() }
func (a *App) HTTPAddr() string      { return a.httpLis.Addr().String() }
func (a *App) AdminAddr() string     { return addrOf(a.adminLis) }
func (a *App) AdminGRPCAddr() string { return addrOf(a.adminGRPCLis) }

func addrOf(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// Run serves until ctx is cancelled, then shuts down gracefully: health reports
// NOT_SERVING while the servers go on serving for the drain delay, then the HTTP servers
// drain, the gRPC servers drain (or are stopped when the timeout passes), and the store
// closes.
func (a *App) Run(ctx context.Context) error {
	defer a.close()
	g, gctx := errgroup.WithContext(ctx)
	serveGRPC := func(name string, s *grpc.Server, l net.Listener) {
		g.Go(func() error {
			if err := s.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	serveHTTP := func(name string, s *http.Server, l net.Listener) {
		g.Go(func() error {
			var err error
			if s.TLSConfig != nil {
				err = s.ServeTLS(l, "", "")
			} else {
				err = s.Serve(l)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	serveGRPC("gRPC server", a.grpc, a.grpcLis)
	serveHTTP("HTTP server", a.http, a.httpLis)
	if a.adminHTTP != nil {
		serveHTTP("admin HTTP server", a.adminHTTP, a.adminLis)
	}
	if a.adminGRPC != nil {
		serveGRPC("admin gRPC server", a.adminGRPC, a.adminGRPCLis)
	}
	g.Go(func() error { a.watchReadiness(gctx); return nil })
	g.Go(func() error { a.refreshPathways(gctx); return nil })
	g.Go(func() error { a.raiseReminders(gctx); return nil })
	g.Go(func() error { a.sealer.run(gctx, a.cfg.AuditSealInterval); return nil })
	a.runDelivery(gctx, g)
	a.log.Info("carepath is serving", "grpc_addr", a.GRPCAddr(), "http_addr", a.HTTPAddr(),
		"admin_addr", a.AdminAddr(), "admin_grpc_addr", a.AdminGRPCAddr())

	g.Go(func() error {
		<-gctx.Done()
		a.shutdown()
		return nil
	})
	return g.Wait()
}

// shutdown reports NOT_SERVING first and keeps serving for the drain delay, so that load
// balancers, which poll /readyz or gRPC health, stop sending before the listeners close.
func (a *App) shutdown() {
	a.log.Info("shutting down", "drain_delay", a.cfg.ShutdownDrainDelay, "timeout", a.cfg.ShutdownTimeout)
	a.stopping.Store(true)
	a.health.Shutdown()
	a.ready.Store(false)
	time.Sleep(a.cfg.ShutdownDrainDelay)
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	for _, s := range []*http.Server{a.http, a.adminHTTP} {
		if s == nil {
			continue
		}
		if err := s.Shutdown(ctx); err != nil {
			a.log.Warn("HTTP server did not drain in time", "error", err)
		}
	}
	for _, s := range []*grpc.Server{a.grpc, a.adminGRPC} {
		if s == nil {
			continue
		}
		stopped := make(chan struct{})
		go func() { s.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-ctx.Done():
			a.log.Warn("gRPC server did not drain in time; stopping it")
			s.Stop()
		}
	}
}

func (a *App) close() {
	if a.stopBG != nil {
		a.stopBG()
	}
	for _, l := range []net.Listener{a.grpcLis, a.httpLis, a.adminLis, a.adminGRPCLis} {
		if l != nil {
			_ = l.Close()
		}
	}
	if a.store != nil {
		a.store.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.tracing.Shutdown(ctx); err != nil {
		a.log.Warn("exporting the last spans failed", "error", err)
	}
}

// watchReadiness reports SERVING while the store is ready, checking it periodically.
func (a *App) watchReadiness(ctx context.Context) {
	t := time.NewTicker(readinessInterval)
	defer t.Stop()
	for {
		checkCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := a.store.Ready(checkCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if ok := err == nil; ok != a.ready.Load() {
			if ok {
				a.log.Info("store is ready")
			} else {
				a.log.Warn("store is not ready", "error", err)
			}
			a.setServing(ok)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refreshInterval is how often pathways planned with an older catalogue or council settings
// are looked for, besides whenever settings change.
const refreshInterval = time.Minute

// pokeRefresher asks for a pathway refresh soon.
func (a *App) pokeRefresher() {
	select {
	case a.replan <- struct{}{}:
	default: // one is already pending
	}
}

// staleCheckInterval is how often a replica looks for stale pathways although no council's
// settings have changed: a pathway planned with an older catalogue is found when the replica
// starts, one planned with older settings when they change; this finds any another replica
// held (its batch was skipped here) and then failed to replan.
const staleCheckInterval = time.Hour

// staleLook is a replica's last look for stale pathways that found none: the councils'
// settings revisions as of it, and when it began by the service's clock.
type staleLook struct {
	revisions string
	at        time.Time
}

// replanStale replans the pathways planned with another catalogue or settings revision,
// unless no council's settings have changed since the last look that found none stale (the
// zero staleLook: no such look) and that look is less than staleCheckInterval old. A look
// reads every young person; the revisions, a row a council.
func (a *App) replanStale(ctx context.Context, last *staleLook) error {
	now, start := a.now(), time.Now()
	var revisions string
	if err := a.store.InTx(ctx, func(tx store.Tx) (err error) {
		revisions, err = tx.SettingsRevisions(ctx)
		return err
	}); err != nil {
		return err
	}
	if !last.at.IsZero() && revisions == last.revisions && now.Sub(last.at) < staleCheckInterval {
		return nil
	}
	n, err := a.planner.RefreshStale(ctx, a.store, 500, 2)
	if err != nil {
		return err
	}
	if n == 0 {
		// Only a look that found nothing stale counts: while replicas of another catalogue
		// still run (a rolling deploy), they replan what this one has, and this one looks
		// again at each refresh until they have gone.
		*last = staleLook{revisions: revisions, at: now}
		return nil
	}
	a.log.Info("replanned pathways", "young_people", n, "duration", time.Since(start).String())
	return nil
}

// refreshPathways replans stale pathways and reassesses readiness that time has overtaken
// (at midnight, a day's worth), in the background, in batches; every replica may run it
// (batches are claimed with locks the others skip).
func (a *App) refreshPathways(ctx context.Context) {
	t := time.NewTicker(refreshInterval)
	defer t.Stop()
	var last staleLook
	for {
		err := a.replanStale(ctx, &last)
		var n int
		if err == nil {
			start := time.Now()
			if n, err = a.planner.RefreshReadiness(ctx, a.store, "", 500, 2); err == nil && n > 0 {
				a.log.Info("reassessed readiness", "young_people", n, "duration", time.Since(start).String())
			}
		}
		if err == nil {
			start := time.Now()
			if n, err = a.planner.RefreshMeasures(ctx, a.store, 500, 2); err == nil && n > 0 {
				a.log.Info("worked out standings in the board's measures", "young_people", n, "duration", time.Since(start).String())
			}
		}
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Warn("background planning failed; will retry", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.replan:
		}
	}
}

func (a *App) setServing(ok bool) {
	if a.stopping.Load() {
		return // shutting down: NOT_SERVING for good
	}
	a.ready.Store(ok)
	st := healthpb.HealthCheckResponse_NOT_SERVING
	if ok {
		st = healthpb.HealthCheckResponse_SERVING
	}
	a.health.SetServingStatus("", st)
	for _, name := range a.services {
		a.health.SetServingStatus(name, st)
	}
}

// rateLimited counts the calls the rate limits refused, by the limit reached
// (carepath_rate_limited_total{limit}): a partner's script hitting its limit shows here.
func rateLimited(reg prometheus.Registerer) func(kind string) {
	refused := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carepath_rate_limited_total",
		Help: "Calls refused with RESOURCE_EXHAUSTED by the rate limits, by the limit reached: principal or organisation.",
	}, []string{"limit"})
	for _, kind := range []string{ratelimit.KindPrincipal, ratelimit.KindOrganisation} {
		refused.WithLabelValues(kind)
	}
	reg.MustRegister(refused)
	return func(kind string) { refused.WithLabelValues(kind).Inc() }
}
