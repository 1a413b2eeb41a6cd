#!/usr/bin/env bash
# Smoke test for the binaries built by ./build.sh: starts etcd and
# kube-apiserver on loopback, creates a namespace and a pod, patches the pod's
# status with a strategic merge patch (uid precondition, like the sidecar
# does), reads it back; then starts kube-controller-manager (deployment and
# replicaset controllers) and checks that a Deployment gets its ReplicaSet and
# pod; then stops all three processes and removes all state.
#
# Usage: test/k8s/smoke.sh [BIN_DIR]   (default: output of ./build.sh)
# Needs: curl, jq, openssl. Every wait is bounded; nothing listens off loopback.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[k8s-smoke %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

for tool in curl jq openssl; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

bin_dir="${1:-$("$here/build.sh" | tail -n 1)}"
for b in etcd kube-apiserver kube-controller-manager; do
  [[ -x "$bin_dir/$b" ]] || die "no $b in $bin_dir"
done

now_ms() { date +%s%3N; }

# A loopback port that nothing is listening on (bounded attempts).
taken_ports=" "
free_port() {
  local i p
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + RANDOM % 40000))
    [[ "$taken_ports" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      taken_ports+="$p "
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

work="$(mktemp -d "${TMPDIR:-/tmp}/draingate-k8s-smoke.XXXXXX")"
etcd_pid=""
apiserver_pid=""
kcm_pid=""
cleanup() {
  local rc=$?
  local pid i
  for pid in "$kcm_pid" "$apiserver_pid" "$etcd_pid"; do
    [[ -n "$pid" ]] || continue
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do # max 10 s, then SIGKILL
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if ((rc != 0)); then
    log "--- last lines of etcd.log ---"
    tail -n 20 "$work/etcd.log" >&2 2>/dev/null || true
    log "--- last lines of kube-apiserver.log ---"
    tail -n 40 "$work/kube-apiserver.log" >&2 2>/dev/null || true
    if [[ -n "$kcm_pid" ]]; then
      log "--- last lines of kube-controller-manager.log ---"
      tail -n 40 "$work/kube-controller-manager.log" >&2 2>/dev/null || true
    fi
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

etcd_client_port="$(free_port)"
etcd_peer_port="$(free_port)"
apiserver_port="$(free_port)"
kcm_port="$(free_port)"

# ---------------------------------------------------------------- etcd
log "starting etcd on 127.0.0.1:$etcd_client_port (peer $etcd_peer_port)"
"$bin_dir/etcd" \
  --name=smoke \
  --data-dir="$work/etcd" \
  --listen-client-urls="http://127.0.0.1:$etcd_client_port" \
  --advertise-client-urls="http://127.0.0.1:$etcd_client_port" \
  --listen-peer-urls="http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster="smoke=http://127.0.0.1:$etcd_peer_port" \
  --unsafe-no-fsync \
  --log-level=warn \
  >"$work/etcd.log" 2>&1 &
etcd_pid=$!

t0=$(now_ms)
for ((i = 0; i < 300; i++)); do # max 30 s
  kill -0 "$etcd_pid" 2>/dev/null || die "etcd exited"
  if curl -fsS --max-time 1 "http://127.0.0.1:$etcd_client_port/health" 2>/dev/null | grep -q '"health":"true"'; then
    break
  fi
  sleep 0.1
done
((i < 300)) || die "etcd not healthy after 30 s"
log "etcd healthy after $(($(now_ms) - t0)) ms"

# ------------------------------------------------------ kube-apiserver
openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
token="$(openssl rand -hex 24)"
# token,user,uid,"groups"
printf '%s,admin,admin-uid,"system:masters"\n' "$token" >"$work/tokens.csv"

log "starting kube-apiserver on https://127.0.0.1:$apiserver_port"
t0=$(now_ms)
"$bin_dir/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$etcd_client_port" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --endpoint-reconciler-type=none \
  --secure-port="$apiserver_port" \
  --cert-dir="$work/certs" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$work/sa.pub" \
  --service-account-signing-key-file="$work/sa.key" \
  --token-auth-file="$work/tokens.csv" \
  --authorization-mode=RBAC \
  --service-cluster-ip-range=10.0.0.0/24 \
  --disable-admission-plugins=ServiceAccount \
  >"$work/kube-apiserver.log" 2>&1 &
apiserver_pid=$!

api="https://127.0.0.1:$apiserver_port"
kc() { # kc METHOD PATH [CONTENT_TYPE BODY] -> body on stdout, HTTP code in $work/code
  local method=$1 path=$2 ctype=${3:-} body=${4:-}
  local args=(-sS -k --max-time 10 -X "$method" -H "Authorization: Bearer $token"
    -H 'Accept: application/json' -o "$work/body" -w '%{http_code}')
  [[ -n "$ctype" ]] && args+=(-H "Content-Type: $ctype" --data-binary "$body")
  curl "${args[@]}" "$api$path" >"$work/code" || echo 000 >"$work/code"
  cat "$work/body" 2>/dev/null || true
}
code() { cat "$work/code"; }

for ((i = 0; i < 900; i++)); do # max ~90 s
  kill -0 "$apiserver_pid" 2>/dev/null || die "kube-apiserver exited"
  kc GET /readyz >/dev/null
  [[ "$(code)" == 200 ]] && break
  sleep 0.1
done
((i < 900)) || die "kube-apiserver not ready after 90 s"
startup_ms=$(($(now_ms) - t0))
log "kube-apiserver ready after $startup_ms ms"
log "version: $(kc GET /version | jq -r .gitVersion)"

# ------------------------------------------------------------ API calls
ns=smoke
kc POST /api/v1/namespaces application/json \
  "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" >/dev/null
[[ "$(code)" == 201 ]] || die "create namespace: HTTP $(code): $(cat "$work/body")"
log "namespace $ns created"

pod_json='{
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web"},
  "spec": {
    "readinessGates": [{"conditionType": "draingate.io/lb-ready"}],
    "containers": [{"name": "app", "image": "registry.invalid/app:1"}]
  }
}'
kc POST "/api/v1/namespaces/$ns/pods" application/json "$pod_json" >/dev/null
[[ "$(code)" == 201 ]] || die "create pod: HTTP $(code): $(cat "$work/body")"
uid="$(jq -r .metadata.uid "$work/body")"
rv="$(jq -r .metadata.resourceVersion "$work/body")"
log "pod $ns/web created, uid $uid, resourceVersion $rv"

condition='{"type":"draingate.io/lb-ready","status":"True","reason":"TargetHealthy","message":"smoke test","lastTransitionTime":"2020-01-01T00:00:00Z"}'
smp=application/strategic-merge-patch+json
status_path="/api/v1/namespaces/$ns/pods/web/status"

# metadata.uid in a patch body acts as a precondition, but a mismatch is
# reported as 422 Invalid ("field is immutable"), not 409 Conflict.
kc PATCH "$status_path" "$smp" \
  "{\"metadata\":{\"uid\":\"00000000-0000-0000-0000-000000000000\"},\"status\":{\"conditions\":[$condition]}}" >/dev/null
[[ "$(code)" == 422 && "$(jq -r '.details.causes[0].field' "$work/body")" == metadata.uid ]] ||
  die "patch with wrong uid: expected 422 on metadata.uid, got HTTP $(code): $(cat "$work/body")"
log "status patch with wrong uid -> 422 Invalid (metadata.uid: field is immutable)"

# The real patch: uid + resourceVersion preconditions.
kc PATCH "$status_path" "$smp" \
  "{\"metadata\":{\"uid\":\"$uid\",\"resourceVersion\":\"$rv\"},\"status\":{\"conditions\":[$condition]}}" >/dev/null
[[ "$(code)" == 200 ]] || die "patch status: HTTP $(code): $(cat "$work/body")"
log "status patched (resourceVersion $rv -> $(jq -r .metadata.resourceVersion "$work/body"))"

# A stale resourceVersion in the patch body is a 409 Conflict.
kc PATCH "$status_path" "$smp" \
  "{\"metadata\":{\"uid\":\"$uid\",\"resourceVersion\":\"$rv\"},\"status\":{\"conditions\":[$condition]}}" >/dev/null
[[ "$(code)" == 409 ]] || die "patch with stale resourceVersion: expected 409, got HTTP $(code): $(cat "$work/body")"
log "status patch with stale resourceVersion -> 409 Conflict"

got="$(kc GET "/api/v1/namespaces/$ns/pods/web" |
  jq -c '.status.conditions[]? | select(.type == "draingate.io/lb-ready") | {status, reason, message}')"
[[ "$(code)" == 200 ]] || die "get pod: HTTP $(code)"
[[ "$got" == '{"status":"True","reason":"TargetHealthy","message":"smoke test"}' ]] ||
  die "unexpected condition read back: '$got'"
log "read back: $got"

# ------------------------------------------------- kube-controller-manager
cat >"$work/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: smoke, cluster: {server: "$api", certificate-authority: "$work/certs/apiserver.crt"}}]
users: [{name: admin, user: {token: "$token"}}]
contexts: [{name: smoke, context: {cluster: smoke, user: admin}}]
current-context: smoke
EOF
chmod 600 "$work/kubeconfig"
log "starting kube-controller-manager (deployment, replicaset) on https://127.0.0.1:$kcm_port"
t0=$(now_ms)
"$bin_dir/kube-controller-manager" \
  --kubeconfig="$work/kubeconfig" \
  --controllers=deployment-controller,replicaset-controller \
  --leader-elect=false \
  --use-service-account-credentials=false \
  --bind-address=127.0.0.1 \
  --secure-port="$kcm_port" \
  --cert-dir="$work/kcm-certs" \
  >"$work/kube-controller-manager.log" 2>&1 &
kcm_pid=$!

deploy_json='{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web"},
  "spec": {
    "replicas": 1,
    "selector": {"matchLabels": {"app": "web"}},
    "template": {
      "metadata": {"labels": {"app": "web"}},
      "spec": {"containers": [{"name": "app", "image": "registry.invalid/app:1"}]}
    }
  }
}'
kc POST "/apis/apps/v1/namespaces/$ns/deployments" application/json "$deploy_json" >/dev/null
[[ "$(code)" == 201 ]] || die "create deployment: HTTP $(code): $(cat "$work/body")"

# The deployment controller creates a ReplicaSet, the replicaset controller its pod (no kubelet: it stays Pending).
for ((i = 0; i < 600; i++)); do # max ~60 s
  kill -0 "$kcm_pid" 2>/dev/null || die "kube-controller-manager exited"
  owner="$(kc GET "/api/v1/namespaces/$ns/pods?labelSelector=app%3Dweb" |
    jq -r '.items[0].metadata.ownerReferences[0].kind // empty' 2>/dev/null || true)"
  [[ "$owner" == ReplicaSet ]] && break
  sleep 0.1
done
((i < 600)) || die "no pod of a ReplicaSet of deployment web after 60 s"
kcm_ms=$(($(now_ms) - t0))
log "deployment web -> ReplicaSet -> pod after $kcm_ms ms"

log "PASS (kube-apiserver startup ${startup_ms} ms, kube-controller-manager to first pod ${kcm_ms} ms)"
