#!/usr/bin/env bash
# Builds a real kube-apiserver, kube-controller-manager and etcd from the Go
# modules pinned in ./go.mod + ./go.sum into a cache directory outside the repo:
#
#   ${DGTEST_K8S_CACHE:-$HOME/.cache/draingate/k8s}/<k8s-version>-<hash>/bin/
#
# <hash> = first 16 hex chars of sha256(go.mod + go.sum + build.sh): the pins,
# and this script (which says what is built and with which flags), so changing
# either gets a fresh directory. When all binaries already exist the script
# prints the path and exits without running go. The bin dir path is always the
# last line on stdout; all progress goes to stderr.
#
# Safe to rerun after an interruption: binaries are built in a temp dir next to
# the final one and moved into place with a single rename; concurrent runs are
# serialized with flock when available.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${DGTEST_K8S_CACHE:-${HOME}/.cache/draingate/k8s}"

log() { printf '[k8s-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "$here/go.mod")"
if [[ -z "$k8s_version" ]]; then
  log "cannot find the k8s.io/kubernetes version in $here/go.mod"
  exit 1
fi
# packages/sidecar/test/helpers/apiserver.ts computes the same key: change both together.
hash="$(cat "$here/go.mod" "$here/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)"
key_dir="$cache_root/${k8s_version}-${hash}"
bin_dir="$key_dir/bin"

# name and main package of every binary; the k8s.io/kubernetes ones get the version -X flags.
binaries=(etcd kube-apiserver kube-controller-manager)
declare -A package=(
  [etcd]=go.etcd.io/etcd/server/v3
  [kube-apiserver]=k8s.io/kubernetes/cmd/kube-apiserver
  [kube-controller-manager]=k8s.io/kubernetes/cmd/kube-controller-manager
)

have_binaries() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin_dir/$b" ]] || return 1; done
}

# Fast path: no go, no lock.
if have_binaries; then
  printf '%s\n' "$bin_dir"
  exit 0
fi

mkdir -p "$key_dir"

# Serialize concurrent builds of the same key (e.g. parallel test workers).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$key_dir/.lock"
  if ! flock -n 9; then
    log "another build of $key_dir is running; waiting for it (max 60 min)"
    flock -w 3600 9
  fi
  if have_binaries; then
    printf '%s\n' "$bin_dir"
    exit 0
  fi
fi

command -v go >/dev/null 2>&1 || { log "go not found in PATH (need Go >= 1.26)"; exit 1; }

# Never let go download a toolchain; build statically like the release binaries.
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="-mod=readonly -buildvcs=false"

# A leftover bin/ without every binary cannot come from this script (it is
# only ever created by rename), but clear it so the rename below can succeed.
if [[ -e "$bin_dir" ]]; then
  log "removing incomplete $bin_dir"
  rm -rf "$bin_dir"
fi
# Remove temp dirs left behind by interrupted builds.
rm -rf "$key_dir"/.tmp.* 2>/dev/null || true

tmp="$(mktemp -d "$key_dir/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

minor="${k8s_version#v1.}"
minor="${minor%%.*}"
vpkg=k8s.io/component-base/version
k8s_ldflags="-s -w -X $vpkg.gitVersion=$k8s_version -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor"
k8s_ldflags+=" -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

log "$(go version); GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)"
cd "$here"

start=$SECONDS
log "downloading modules"
go mod download >&2
log "modules ready ($((SECONDS - start))s)"

for b in "${binaries[@]}"; do
  pkg="${package[$b]}"
  ldflags='-s -w'
  if [[ "$pkg" == k8s.io/kubernetes/* ]]; then ldflags="$k8s_ldflags"; fi
  t=$SECONDS
  log "building $b ($pkg)"
  go build -trimpath -ldflags "$ldflags" -o "$tmp/$b" "$pkg" >&2
  log "$b built ($((SECONDS - t))s, $(du -h "$tmp/$b" | cut -f1))"
done

for b in "${binaries[@]}"; do
  "$tmp/$b" --version >&2
done

chmod 755 "$tmp"
mv -T "$tmp" "$bin_dir"
trap - EXIT
log "done in $((SECONDS - start))s: $(du -sh "$bin_dir" | cut -f1) in $bin_dir"
printf '%s\n' "$bin_dir"
