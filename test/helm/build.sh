#!/usr/bin/env bash
# Builds Helm (helm.sh/helm/v3, pinned in ./go.mod + ./go.sum) into a cache directory outside the repo, for the
# chart checks in CI (`helm lint`, `helm template`; packages/controller/test/chart.test.ts):
#
#   ${DGTEST_HELM_CACHE:-$HOME/.cache/draingate/helm}/<helm-version>-<hash>/bin/helm
#
# <hash> = first 16 hex chars of sha256(go.mod + go.sum + build.sh), as test/k8s/build.sh does. When the binary
# exists the script prints its directory and exits without running go (~5 min cold on 2 idle cores). The bin dir is
# always the last line on stdout; progress goes to stderr. Safe to rerun after an interruption (temp dir + rename,
# flock against concurrent builds).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${DGTEST_HELM_CACHE:-${HOME}/.cache/draingate/helm}"

log() { printf '[helm-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

version="$(awk '$1 == "require" && $2 == "helm.sh/helm/v3" { print $3; exit }' "$here/go.mod")"
if [[ -z "$version" ]]; then
  log "cannot find the helm.sh/helm/v3 version in $here/go.mod"
  exit 1
fi
hash="$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)"
key_dir="$cache_root/${version}-${hash}"
bin_dir="$key_dir/bin"

if [[ -x "$bin_dir/helm" ]]; then
  printf '%s\n' "$bin_dir"
  exit 0
fi

mkdir -p "$key_dir"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$key_dir/.lock"
  if ! flock -n 9; then
    log "another build of $key_dir is running; waiting for it (max 30 min)"
    flock -w 1800 9
  fi
  if [[ -x "$bin_dir/helm" ]]; then
    printf '%s\n' "$bin_dir"
    exit 0
  fi
fi

command -v go >/dev/null 2>&1 || { log "go not found in PATH (need Go >= 1.26)"; exit 1; }
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="-mod=readonly -buildvcs=false"

rm -rf "$bin_dir" "$key_dir"/.tmp.* 2>/dev/null || true
tmp="$(mktemp -d "$key_dir/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

start=$SECONDS
cd "$here"
log "$(go version); downloading modules"
go mod download >&2
log "building helm $version"
go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" -o "$tmp/helm" helm.sh/helm/v3/cmd/helm >&2
"$tmp/helm" version --short >&2
chmod 755 "$tmp"
mv -T "$tmp" "$bin_dir"
trap - EXIT
log "done in $((SECONDS - start))s: $bin_dir"
printf '%s\n' "$bin_dir"
