#!/usr/bin/env bash
# Validates the Kubernetes manifests under deploy/k8s (`make k8s-validate`, and CI): builds
# each kustomization with kustomize and checks every object with `kubeconform -strict`
# against the schemas of the Kubernetes and CloudNativePG versions below. Both tools are
# pinned in tools/go.mod. kubeconform would download its schemas from a site CI cannot reach,
# so k8sschema writes them here from what the Go module proxy serves: Kubernetes' OpenAPI
# document in the k8s.io/kubernetes module and the CustomResourceDefinitions in
# CloudNativePG's and its Barman Cloud plugin's modules. Nothing is skipped: a kind without a
# schema fails.
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES=k8s.io/kubernetes@v1.34.4
CNPG=github.com/cloudnative-pg/cloudnative-pg@v1.28.2
BARMAN=github.com/cloudnative-pg/plugin-barman-cloud@v0.15.0
KUSTOMIZATIONS=(deploy/k8s/base deploy/k8s/example)

moddir() { # moddir MODULE@VERSION: the module's directory in the module cache
  (cd tools && go mod download -json "$1") | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

k8s=$(moddir "$KUBERNETES")
cnpg=$(moddir "$CNPG")
barman=$(moddir "$BARMAN")
[ -n "$k8s" ] && [ -n "$cnpg" ] && [ -n "$barman" ] || { echo "k8s-validate: a schema module did not download" >&2; exit 1; }

schemas=$(mktemp -d "${TMPDIR:-/tmp}/carepath-k8s-schemas.XXXXXX")
trap 'rm -rf "$schemas"' EXIT
(cd tools && go run ./k8sschema -strict -out "$schemas" -swagger "$k8s/api/openapi-spec/swagger.json" \
  "$cnpg"/config/crd/bases/postgresql.cnpg.io_{clusters,scheduledbackups}.yaml \
  "$barman"/config/crd/bases/barmancloud.cnpg.io_objectstores.yaml)

kubeconform() {
  (cd tools && go tool kubeconform -strict -summary -output text \
    -schema-location "$schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json")
}

for k in "${KUSTOMIZATIONS[@]}"; do
  echo "k8s-validate: $k"
  manifests=$(cd tools && go tool kustomize build "../$k")
  kubeconform <<<"$manifests"
done

# The check can fail: a misspelt field of a Deployment or of a CloudNativePG Cluster is refused.
for typo in 's/^  replicas:/  replicaz:/' 's/^  instances:/  instancez:/'; do
  if sed "$typo" <<<"$manifests" | kubeconform >/dev/null 2>&1; then
    echo "k8s-validate: kubeconform accepted a misspelt field ($typo): the schemas are not strict" >&2
    exit 1
  fi
done
echo "k8s-validate: misspelt fields are refused"
