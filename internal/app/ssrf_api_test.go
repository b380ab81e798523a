package app_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "github.com/carepath/carepath/proto/gen/go/carepath/v1"
)

// Endpoint URLs in special-purpose ranges, or in IPv6 forms that wrap an IPv4 address, are
// refused on create and on update, over REST and gRPC: the black-box attack's three
// addresses, and their relatives.
func TestWebhookEndpointsInSpecialRangesAreRefused(t *testing.T) {
	s := start(t, memoryBackend().configure(t))
	admin := s.as(tokenFor(t, "ada-admin"))
	client := pb.NewReminderServiceClient(s.dial(t, tokenFor(t, "ada-admin")))
	const parent = "organisations/nottinghamshire"

	// A public address literal needs no DNS, which this machine does not have.
	r := admin.do(t, "POST", "/v1/"+parent+"/webhookEndpoints", `{"url": "https://93.184.215.14/hook"}`)
	if r.code != 200 {
		t.Fatalf("create a public endpoint: HTTP %d %s", r.code, r.body)
	}
	name := r.json(t)["name"].(string)

	for _, u := range []string{
		"https://198.18.0.1/hook",                             // benchmarking
		"https://[2002:7f00:1::]/hook",                        // 6to4 wrapping 127.0.0.1
		"https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hook", // Teredo
		"https://[64:ff9b::a9fe:a9fe]/latest",                 // NAT64 of the metadata service
		"https://[::ffff:7f00:1]/hook",                        // IPv4-mapped loopback
		"https://[::7f00:1]/hook",                             // IPv4-compatible loopback
		"https://100.64.0.1/hook", "https://192.0.0.170/hook", // shared space, NAT64 discovery
		"https://203.0.113.7/hook", "https://[2001:db8::1]/hook", // documentation
	} {
		t.Run(u, func(t *testing.T) {
			wantRESTError(t, admin.do(t, "POST", "/v1/"+parent+"/webhookEndpoints", fmt.Sprintf(`{"url": %q}`, u)),
				400, "INVALID_ARGUMENT", "REQUEST_INVALID", "webhook_endpoint.url")
			wantRESTError(t, admin.do(t, "PATCH", "/v1/"+name+"?updateMask=url", fmt.Sprintf(`{"url": %q}`, u)),
				400, "INVALID_ARGUMENT", "REQUEST_INVALID", "webhook_endpoint.url")

			_, err := client.CreateWebhookEndpoint(t.Context(), &pb.CreateWebhookEndpointRequest{
				Parent: parent, WebhookEndpoint: &pb.WebhookEndpoint{Url: u}})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "webhook_endpoint.url")
			_, err = client.UpdateWebhookEndpoint(t.Context(), &pb.UpdateWebhookEndpointRequest{
				WebhookEndpoint: &pb.WebhookEndpoint{Name: name, Url: u},
				UpdateMask:      &fieldmaskpb.FieldMask{Paths: []string{"url"}}})
			wantGRPCError(t, err, codes.InvalidArgument, "REQUEST_INVALID", "webhook_endpoint.url")
		})
	}

	// Nothing was changed or added.
	got := admin.do(t, "GET", "/v1/"+name, "")
	if got.code != 200 || got.json(t)["url"] != "https://93.184.215.14/hook" {
		t.Errorf("the endpoint changed: HTTP %d %s", got.code, got.body)
	}
	if n := len(listOf(t, admin.do(t, "GET", "/v1/"+parent+"/webhookEndpoints", ""), "webhookEndpoints")); n != 1 {
		t.Errorf("%d endpoints registered, want 1", n)
	}
}
