package telemetry

import "testing"

func TestRouteHidesIDs(t *testing.T) {
	for path, want := range map[string]string{
		"/v1/youngPeople":                                    "/v1/youngPeople",
		"/v1/youngPeople/d3e1-02":                            "/v1/youngPeople/*",
		"/v1/youngPeople/d3e1-02/pathway":                    "/v1/youngPeople/*/pathway",
		"/v1/youngPeople/d3e1-02/milestones/m-9:complete":    "/v1/youngPeople/*/milestones/*:complete",
		"/v1/youngPeople:batchAllocatePersonalAdviser":       "/v1/youngPeople:batchAllocatePersonalAdviser",
		"/v1/people/sam-okoro":                               "/v1/people/*",
		"/v1/organisations/notts/webhookEndpoints/e1:rotate": "/v1/organisations/*/webhookEndpoints/*:rotate",
		"/healthz": "/healthz",
	} {
		if got := Route(path); got != want {
			t.Errorf("Route(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestOffInstallsNothing(t *testing.T) {
	tr, err := New(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if tr.On() || tr.ServerOptions() != nil || tr.ServerHandlers() != nil || tr.PgxTracer() != nil || tr.RiverMiddleware() != nil {
		t.Error("tracing off still instruments something")
	}
}
