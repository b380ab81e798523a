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

// routes is the HTTP listener: the REST API under /v1/, plus operational endpoints.
func (a *App) routes(gw http.Handler, registry *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", gateway.LimitBody(a.cfg.MaxBodyBytes, gw)) // /v1/... and AIP-style 404s
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "SERVING"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if a.ready.Load() {
			writeJSON(w, http.StatusOK, map[string]string{"status": "SERVING"})
			return
		}
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "NOT_SERVING"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	if a.cfg.DevIssuerOn() {
		// The development issuer's public keys, for tools that want to verify its tokens.
		mux.HandleFunc("GET /dev/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, authn.DevKeySet())
		})
	}
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Spec)
	})
	return requestid.Middleware(mux)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
