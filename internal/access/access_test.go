package access_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/carepath/carepath/internal/access"
	"github.com/carepath/carepath/internal/demo"
	"github.com/carepath/carepath/internal/domain/civil"
	"github.com/carepath/carepath/internal/errs"
	"github.com/carepath/carepath/internal/platform/authn"
	"github.com/carepath/carepath/internal/store"
	"github.com/carepath/carepath/internal/store/memory"
	"github.com/carepath/carepath/internal/testclock"
)

// A method with no policy is refused even to a valid caller, and its handler never runs:
// new methods are closed until someone decides who may call them.
func TestMethodWithoutPolicyIsRefused(t *testing.T) {
	s := memory.New()
	now := testclock.Now()
	if err := s.InTx(context.Background(), func(tx store.Tx) error {
		return demo.LoadAccess(context.Background(), tx, civil.Today(now), now)
	}); err != nil {
		t.Fatal(err)
	}
	a := access.NewAuthenticator(s, authn.DevVerifier(time.Now) /* token lifetimes: the real clock */, "", access.CacheConfig{}, testclock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	token, err := authn.DevToken("ada-admin", time.Hour, time.Now()) // token lifetimes: the real clock
	if err != nil {
		t.Fatal(err)
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
	// Control: the same caller reaches a method whose policy names their role.
	called := false
	_, err = a.Unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/carepath.v1.AccessService/ListOrganisations"},
		func(context.Context, any) (any, error) { called = true; return nil, nil })
	if err != nil || !called {
		t.Fatalf("control call: %v (handler ran: %v)", err, called)
	}
	for _, method := range []string{"/carepath.v1.YoungPeopleService/ExportEverything", "/carepath.v2.New/Get", ""} {
		_, err := a.Unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, func(context.Context, any) (any, error) {
			t.Fatalf("%q: the handler ran", method)
			return nil, nil
		})
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.PermissionDenied {
			t.Errorf("%q: %v, want PERMISSION_DENIED", method, err)
		}
	}
	// Health checks are public: no credentials needed.
	called = false
	_, err = a.Unary(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"},
		func(context.Context, any) (any, error) { called = true; return nil, nil })
	if err != nil || !called {
		t.Errorf("health check: %v (handler ran: %v)", err, called)
	}
}
