# carepath developer tasks. The two that matter: `go run ./cmd/carepath serve` runs the
# service with demo data, and `make test` runs every test, PostgreSQL included.

BUF := tools/node_modules/.bin/buf

.PHONY: run test bench generate lint tools vendor-protos build

run:
	go run ./cmd/carepath serve

test:
	tools/test.sh

# Benchmarks that need PostgreSQL use TEST_DATABASE_URL, like the tests.
bench:
	tools/test.sh -run '^$$' -bench . -benchtime 3x

build:
	go build -o bin/carepath ./cmd/carepath

tools: $(BUF)

$(BUF): tools/package.json tools/package-lock.json
	npm install --prefix tools --no-audit --no-fund --loglevel=error
	touch $(BUF)

generate: $(BUF)
	rm -rf proto/gen/go
	$(BUF) generate

lint: $(BUF)
	$(BUF) format -d --exit-code
	$(BUF) lint
	go vet ./...

vendor-protos:
	tools/vendor-protos.sh
