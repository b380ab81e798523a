package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/carepath/carepath/internal/demo"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// authority is a test certificate authority.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serial int64 = 1

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newAuthority(t *testing.T, name string) *authority {
	t.Helper()
	key := newKey(t)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		// Certificates are checked against the real clock.
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a leaf certificate: for the server (127.0.0.1) or a client (a URI subject).
func (a *authority) issue(t *testing.T, uri string) tls.Certificate {
	t.Helper()
	key := newKey(t)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour) /* checked on the real clock */, KeyUsage: x509.KeyUsageDigitalSignature}
	if uri == "" {
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		u, err := url.Parse(uri)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = []*url.URL{u}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPartnerSystemsWithClientCertificates runs the server with TLS and a client CA: a
// partner's system presenting a certificate registered to its organisation acts as that
// partner over gRPC and HTTPS, with no token, and is audited as such; an unregistered
// certificate or one from another authority gets nothing.
func TestPartnerSystemsWithClientCertificates(t *testing.T) {
	ca := newAuthority(t, "carepath test CA")
	dir := t.TempDir()
	serverCert := ca.issue(t, "")
	keyDER, err := x509.MarshalECPrivateKey(serverCert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.TLSCertFile = writePEM(t, dir, "server.pem", "CERTIFICATE", serverCert.Certificate[0])
	cfg.TLSKeyFile = writePEM(t, dir, "server-key.pem", "EC PRIVATE KEY", keyDER)
	cfg.TLSClientCAFile = writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.cert.Raw)
	cfg.PrincipalCacheTTL = 5 * time.Minute // the longest allowed: only invalidation ends a certificate's principal
	s := startWithoutPerson(t, cfg)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)

	registered := ca.issue(t, "spiffe://carepath.demo/partner/framework-housing")
	unregistered := ca.issue(t, "spiffe://carepath.demo/partner/unknown")
	stranger := newAuthority(t, "another CA").issue(t, "spiffe://carepath.demo/partner/framework-housing")

	clientTLS := func(certs ...tls.Certificate) *tls.Config {
		return &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12}
	}
	grpcAs := func(certs ...tls.Certificate) pb.PartnerServiceClient {
		conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(credentials.NewTLS(clientTLS(certs...))))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return pb.NewPartnerServiceClient(conn)
	}
	httpsGet := func(path string, certs ...tls.Certificate) (int, string, error) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS(certs...)}}
		defer c.CloseIdleConnections()
		resp, err := c.Get("https://" + s.base[len("http://"):] + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	ctx := context.Background()
	list := &pb.ListSharedYoungPeopleRequest{Parent: "organisations/framework-housing"}

	got, err := grpcAs(registered).ListSharedYoungPeople(ctx, list)
	if err != nil || len(got.GetSharedYoungPeople()) == 0 {
		t.Fatalf("partner system over gRPC: %v (%d young people)", err, len(got.GetSharedYoungPeople()))
	}
	code, body, err := httpsGet("/v1/organisations/framework-housing/sharedYoungPeople", registered)
	if err != nil || code != 200 {
		t.Fatalf("partner system over HTTPS: %v HTTP %d %s", err, code, body)
	}
	// The partner system is still only that partner.
	_, err = grpcAs(registered).ListSharedYoungPeople(ctx, &pb.ListSharedYoungPeopleRequest{Parent: "organisations/notts-futures"})
	wantGRPCError(t, err, codes.PermissionDenied, "ACCESS_DENIED")

	_, err = grpcAs(unregistered).ListSharedYoungPeople(ctx, list)
	wantGRPCError(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
	if code, body, err := httpsGet("/v1/organisations/framework-housing/sharedYoungPeople", unregistered); err != nil || code != 401 {
		t.Errorf("unregistered certificate over HTTPS: %v HTTP %d %s", err, code, body)
	}
	if _, err := grpcAs(stranger).ListSharedYoungPeople(ctx, list); err == nil {
		t.Error("a certificate from another authority was accepted over gRPC")
	}
	if code, _, err := httpsGet("/v1/organisations/framework-housing/sharedYoungPeople", stranger); err == nil && code == 200 {
		t.Error("a certificate from another authority was accepted over HTTPS")
	}
	// Without a certificate, a bearer token still works over TLS.
	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(credentials.NewTLS(clientTLS())),
		grpc.WithPerRPCCredentials(bearer(tokenFor(t, "hana-housing"))))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := pb.NewPartnerServiceClient(conn).ListSharedYoungPeople(ctx, list); err != nil {
		t.Errorf("bearer token over TLS: %v", err)
	}

	trail := auditTrail(t, tlsServer(t, s, clientTLS()), "aud-auditor", &pb.ListAuditRecordsRequest{Actor: "system:framework-housing"})
	if len(trail) != 2 || trail[0].GetPurpose() != "HOUSING" || trail[0].GetOrganisation() != "organisations/framework-housing" {
		t.Errorf("audit records of the partner system: %v", trail)
	}

	// The partner's administrator withdraws its certificate: the system's next call is
	// refused at once, though who it stood for was cached.
	if _, err := pb.NewAccessServiceClient(tlsServer(t, s, clientTLS()).dial(t, tokenFor(t, "hal-housing-admin"))).UpdateOrganisation(ctx,
		&pb.UpdateOrganisationRequest{Organisation: &pb.Organisation{Name: "organisations/" + demo.HousingPartner},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"client_certificate_subjects"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = grpcAs(registered).ListSharedYoungPeople(ctx, list)
	wantGRPCError(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
	if code, body, err := httpsGet("/v1/organisations/framework-housing/sharedYoungPeople", registered); err != nil || code != 401 {
		t.Errorf("a withdrawn certificate over HTTPS: %v HTTP %d %s", err, code, body)
	}
}

// tlsServer is s with gRPC clients that dial over TLS.
func tlsServer(t *testing.T, s *server, c *tls.Config) *server {
	t.Helper()
	v := *s
	v.dialOpts = []grpc.DialOption{grpc.WithTransportCredentials(credentials.NewTLS(c))}
	return &v
}
