#!/usr/bin/env bash
# Refreshes the third-party protos under proto/third_party from their upstream packages:
# the Go module cache (protovalidate, grpc-gateway's openapiv2 options) and the npm package
# google-proto-files (google/api, google/rpc, google/type, google/longrunning). The Buf Schema Registry is not
# reachable from our build machines, so these files are vendored and never edited by hand.
# Bump a version below, run `make vendor-protos`, review the diff, then `make generate`.
set -euo pipefail

PROTOVALIDATE_MOD=github.com/bufbuild/protovalidate@v1.2.2
GATEWAY_MOD=github.com/grpc-ecosystem/grpc-gateway/v2@v2.33.0
GOOGLE_PROTO_FILES=google-proto-files@6.0.1

root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/proto/third_party
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

moddir() { (cd "$work" && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'); }

(cd "$work" && npm pack --silent "$GOOGLE_PROTO_FILES" >/dev/null && tar xzf google-proto-files-*.tgz)
gpf=$work/package
pv=$(moddir "$PROTOVALIDATE_MOD")
gw=$(moddir "$GATEWAY_MOD")

rm -rf "$dest"
copy() { # copy SRC_ROOT REL_PATH...
  local src=$1; shift
  for f in "$@"; do install -D -m 0644 "$src/$f" "$dest/$f"; done
}
copy "$gpf" google/api/annotations.proto google/api/http.proto google/api/field_behavior.proto \
  google/api/resource.proto google/api/client.proto google/api/launch_stage.proto \
  google/rpc/status.proto google/rpc/code.proto google/rpc/error_details.proto \
  google/type/date.proto google/longrunning/operations.proto
copy "$pv/proto/protovalidate" buf/validate/validate.proto
copy "$gw" protoc-gen-openapiv2/options/annotations.proto protoc-gen-openapiv2/options/openapiv2.proto

install -D -m 0644 "$gpf/LICENSE" "$dest/google/LICENSE"
install -D -m 0644 "$pv/LICENSE" "$dest/buf/LICENSE"
install -D -m 0644 "$gw/LICENSE" "$dest/protoc-gen-openapiv2/LICENSE"

cat > "$dest/VERSIONS.md" <<TXT
# Vendored third-party protos

Written by \`tools/vendor-protos.sh\`; do not edit these files by hand.

| files | source | licence |
| --- | --- | --- |
| \`google/api\`, \`google/rpc\`, \`google/type\`, \`google/longrunning\` | npm \`$GOOGLE_PROTO_FILES\` (googleapis common protos) | Apache-2.0, \`google/LICENSE\` |
| \`buf/validate/validate.proto\` | Go module \`$PROTOVALIDATE_MOD\`, \`proto/protovalidate\` | Apache-2.0, \`buf/LICENSE\` |
| \`protoc-gen-openapiv2/options\` | Go module \`$GATEWAY_MOD\` | BSD-3-Clause, \`protoc-gen-openapiv2/LICENSE\` |
TXT
echo "vendored third-party protos into ${dest#$root/}"
