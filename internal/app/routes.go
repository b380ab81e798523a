package app

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/platform/gateway"
	"github.com/carepath/carepath/internal/platform/requestid"
	"github.com/carepath/carepath/proto/gen/openapi"
)

// route is one pattern of an HTTP listener (net/http's ServeMux syntax).
type route struct {
	pattern string
	handler http.Handler
}

// publicRoutes are the public HTTP listener's: the REST API under /v1/, probes, the OpenAPI
// documents, and /metrics and the development issuer's keys when they are on.
func (a *App) publicRoutes(gw http.Handler, registry *prometheus.Registry) []route {
	routes := []route{{"/", gateway.LimitBody(a.cfg.MaxBodyBytes, gw)}, // /v1/... and AIP-style 404s
		// An import's files: up to --import-max-bytes of CSV, in base64, over a slow link.
		{importRoute, gateway.SlowBody(importUploadTimeout, httpWriteTimeout,
			gateway.LimitBody(importBodyBytes(a.cfg.ImportMaxBytes), gw))}}
	routes = append(routes, a.probeRoutes()...)
	if a.cfg.PublicMetrics {
		routes = append(routes, metricsRoute(registry))
	}
	if a.cfg.DevIssuerOn() {
		// The development issuer's public keys, for tools that want to verify its tokens.
		routes = append(routes, route{"GET /dev/jwks.json", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, authn.DevKeySet())
		})})
	}
	return append(routes, documentRoute("GET /openapi.json", openapi.Spec), documentRoute("GET /openapi-3.1.json", openapi.Spec31))
}

// documentRoute serves an embedded OpenAPI document.
func documentRoute(pattern string, doc []byte) route {
	return route{pattern, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})}
}

// adminRoutes are the operators' listener's (--admin-addr): metrics and the probes.
func (a *App) adminRoutes(registry *prometheus.Registry) []route {
	return append(a.probeRoutes(), metricsRoute(registry))
}

// probeRoutes say whether the process is up (/healthz) and whether it should be sent
// traffic (/readyz: the store is ready and the server is not shutting down).
func (a *App) probeRoutes() []route {
	return []route{
		{"GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "SERVING"})
		})},
		{"GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if a.ready.Load() {
				writeJSON(w, http.StatusOK, map[string]string{"status": "SERVING"})
				return
			}
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "NOT_SERVING"})
		})},
	}
}

func metricsRoute(registry *prometheus.Registry) route {
	return route{"GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{})}
}

// handler serves routes, with request ids.
func handler(routes []route) http.Handler {
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.Handle(r.pattern, r.handler)
	}
	return requestid.Middleware(mux)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
