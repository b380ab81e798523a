# carepath developer tasks. The two that matter: `make run` runs the service with demo data,
# and `make test` runs every test, PostgreSQL included.

BUF := tools/node_modules/.bin/buf
# Redocly CLI, without its usage reports and update checks (CI has no business calling out).
REDOCLY := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_NOTIFICATIONS=true tools/node_modules/.bin/redocly
PARTNER_CLIENTS := examples/partner-clients/node_modules/.package-lock.json

.PHONY: run test test-clock bench generate lint lint-openapi tools vendor-protos build k8s-validate

# The service in memory with demo data. A first build prints nothing for a minute or two, so
# say what is happening; --webhook-allow-private lets webhooks reach a receiver on this
# machine (development only, as is the demo's token issuer).
run:
	@echo "building carepath (the first build takes a minute or two)..."
	@go build -o bin/carepath ./cmd/carepath
	@echo "starting carepath; it logs \"carepath is serving\" when ready, and Ctrl-C stops it"
	bin/carepath serve --webhook-allow-private

test:
	tools/test.sh

# The time-sensitive packages again as of each instant of the clock matrix (tools/test.sh).
test-clock:
	tools/test.sh --clock-matrix

# Benchmarks that need PostgreSQL use TEST_DATABASE_URL, like the tests.
# The import benchmark imports CAREPATH_BENCH_CHILDREN children per iteration (100,000 when
# run alone); three iterations of that would take most of an hour, so bench uses 10,000.
bench: export CAREPATH_BENCH_CHILDREN ?= 10000
bench:
	tools/test.sh -run '^$$' -bench . -benchtime 3x

build:
	go build -o bin/carepath ./cmd/carepath

tools: $(BUF) $(PARTNER_CLIENTS)

$(BUF): tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund --loglevel=error
	touch $(BUF)

# The partner clients' packages, for TestPartnerClients (cmd/carepath) and the README.
$(PARTNER_CLIENTS): examples/partner-clients/package.json examples/partner-clients/package-lock.json
	npm ci --prefix examples/partner-clients --no-audit --no-fund --loglevel=error
	touch $(PARTNER_CLIENTS)

# tools/openapi.mjs names path parameters for their resource and converts the Swagger 2.0
# document that buf writes to OpenAPI 3.1; tools/vendor-govuk.mjs copies GOV.UK Frontend (pinned
# in tools/package.json) into the console's static files.
generate: $(BUF)
	rm -rf proto/gen/go
	$(BUF) generate
	node tools/openapi.mjs proto/gen/openapi
	node tools/vendor-govuk.mjs

# Redocly's recommended rules on both OpenAPI documents (redocly.yaml); any error fails.
lint-openapi: $(BUF)
	$(REDOCLY) lint --format=stylish

lint: $(BUF)
	$(BUF) format -d --exit-code
	$(BUF) lint
	$(REDOCLY) lint --format=stylish
	go vet ./...

vendor-protos:
	tools/vendor-protos.sh

# deploy/k8s through kustomize and kubeconform -strict, with schemas from the Go module proxy.
k8s-validate:
	tools/k8s-validate.sh
