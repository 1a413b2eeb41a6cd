// One scale run: a real etcd + kube-apiserver + kube-controller-manager, the simulated kubelet, the fake ELBv2 with
// the account's token bucket and moving targets, an emulated AWS Load Balancer Controller; a Deployment of `pods`
// replicas, rolled with maxSurge 25 %. Controller mode: two draingate-controller processes (the leader killed with
// SIGKILL mid-rollout when asked). Sidecar mode: one real draingate-sidecar process per pod, for `sidecars` pods.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeElbv2 } from '@draingate/testkit/elbv2';
import { installTargetGroupBindingCrd, KubeletSim, startApiServer, startControllerManager } from '@draingate/testkit/k8s';
import { AlbcEmulator } from './albc.mjs';
import { adminClient, listWatch, serviceAccountDir, sleep } from './kube.mjs';
import { LeaseObserver, PodObserver } from './observer.mjs';
import { Proc, sampleEverySecond } from './procs.mjs';
import { summarize } from './summary.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const GATE = 'draingate.io/lb-ready';
const REGION = 'eu-west-1';
export const TG_CONTROLLER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/scale-web/1000000000000001';
export const TG_SIDECARS = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/scale-sidecars/2000000000000002';
const SECRET = 'bench-secret-not-real';
/** The controller runs with the Node options the chart ships (values.yaml `controller.nodeOptions`). */
const CHART_NODE_OPTIONS =
  /^\s*nodeOptions:\s*"([^"]*)"/m.exec(readFileSync(join(here, '../../charts/draingate-controller/values.yaml'), 'utf8'))?.[1] ?? '';

/**
 * @typedef {{ pods: number, sidecars: number, killLeader: boolean, hcIntervalMs: number, deregistrationDelayMs: number,
 *   graceSeconds: number, terminationDelayMs: number, pollInterval: string, lease: { duration: string, renewDeadline: string,
 *   retryPeriod: string }, albcLagMs: number, nodes: number, log: (line: string) => void, timeoutMs: number }} ScaleOptions
 */

/** @param {ScaleOptions} o */
export async function runScale(o) {
  const work = mkdtempSync(join(tmpdir(), 'draingate-scale-'));
  const cleanups = [];
  try {
    o.log(`starting etcd + kube-apiserver + kube-controller-manager (work dir ${work})`);
    const api = await startApiServer({ extraArgs: ['--max-requests-inflight=1000', '--max-mutating-requests-inflight=500'] });
    cleanups.push(() => api.stop());
    const kcm = await startControllerManager(api, { qps: 300 });
    cleanups.push(() => kcm.stop());
    await installTargetGroupBindingCrd(api.adminKubeConfig());
    const elb = await new FakeElbv2().start();
    cleanups.push(() => elb.stop());
    elb.lifecycle({ healthyAfterMs: o.hcIntervalMs, deregistrationDelayMs: o.deregistrationDelayMs });
    const kube = adminClient(api);
    cleanups.push(() => kube.close());
    const sa = serviceAccountDir(api, join(work, 'sa'));
    await kube.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'draingate-system' } } });
    const controller = await controllerMode({ o, api, elb, kube, sa, work, cleanups });
    const sidecar = o.sidecars > 0 ? await sidecarMode({ o, api, elb, kube, sa, work, cleanups }) : null;
    return { controller, sidecar };
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

/** The namespace, Service, TargetGroupBinding, simulated kubelet, emulated ALBC and observers of one mode. */
async function stage({ o, api, elb, kube, cleanups }, ns, targetGroupArn) {
  await kube.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } } });
  await kube.request('POST', `/api/v1/namespaces/${ns}/services`, {
    body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
  });
  await kube.request('POST', `/apis/elbv2.k8s.aws/v1beta1/namespaces/${ns}/targetgroupbindings`, {
    body: {
      apiVersion: 'elbv2.k8s.aws/v1beta1',
      kind: 'TargetGroupBinding',
      metadata: { name: 'web' },
      spec: { targetGroupARN: targetGroupArn, targetType: 'ip', serviceRef: { name: 'web', port: 80 } },
    },
  });
  elb.group(targetGroupArn);
  const nodes = Array.from({ length: o.nodes }, (_, i) => `${ns}-node-${i + 1}`);
  const sim = await KubeletSim.start(api.adminKubeConfig(), {
    namespace: ns,
    nodes,
    containersReadyAfterMs: 1000,
    terminationDelayMs: o.terminationDelayMs,
    concurrency: 8,
  });
  cleanups.push(() => sim.stop());
  const albc = new AlbcEmulator({ kube, elb, namespace: ns, service: 'web', targetGroupArn, port: 8080, lagMs: o.albcLagMs }).start();
  cleanups.push(() => albc.stop());
  const pods = new PodObserver(kube, ns).start();
  cleanups.push(() => pods.stop());
  return { sim, albc, pods };
}

function deployment(replicas, graceSeconds) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          readinessGates: [{ conditionType: GATE }],
          terminationGracePeriodSeconds: graceSeconds,
          containers: [{ name: 'app', image: 'registry.invalid/app:1', ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      },
    },
  };
}

/** Creates the Deployment, waits until every replica is available, then rolls it; returns the rollout's times. */
async function deployAndRoll({ o, kube }, ns, replicas, duringRollout = async () => {}) {
  const path = `/apis/apps/v1/namespaces/${ns}/deployments`;
  await kube.request('POST', path, { body: deployment(replicas, o.graceSeconds) });
  const deployStart = Date.now();
  const available = async (what, rolled) => {
    const deadline = Date.now() + o.timeoutMs;
    for (let i = 0; Date.now() < deadline && i < 100_000; i++) {
      const d = await kube.request('GET', `${path}/web`).catch(() => null);
      const s = d?.status ?? {};
      // The status of this generation only: right after the patch it still describes the old template.
      if (d && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1)) await rolled?.(s);
      if (
        d &&
        (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) &&
        s.updatedReplicas === replicas &&
        s.availableReplicas === replicas &&
        s.replicas === replicas
      )
        return;
      await sleep(250);
    }
    throw new Error(`${ns}: ${what} did not complete within ${o.timeoutMs} ms`);
  };
  await available('the first deployment');
  const deployedAt = Date.now();
  o.log(`${ns}: ${replicas} pods available after ${((deployedAt - deployStart) / 1000).toFixed(1)} s; rolling`);
  const rolloutStart = Date.now();
  await kube.request('PATCH', `${path}/web`, {
    body: { spec: { template: { metadata: { annotations: { 'bench.draingate.io/rollout': String(rolloutStart) } } } } },
    contentType: 'application/strategic-merge-patch+json',
  });
  await available('the rolling update', duringRollout);
  const rolloutEnd = Date.now();
  o.log(`${ns}: rolling update done in ${((rolloutEnd - rolloutStart) / 1000).toFixed(1)} s`);
  return { deployStart, deployedAt, rolloutStart, rolloutEnd };
}

/** Waits until every pod deleted by the rollout has its evidence or is gone, at most until the last grace period ends. */
async function waitForDrains(pods, from, graceSeconds) {
  const deadline = Date.now() + graceSeconds * 1000 + 10_000;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const open = [...pods.pods.values()].filter(
      (p) => p.deletionSeenAt !== null && p.deletionSeenAt >= from && p.recordStartedAt === null && p.goneAt === null,
    );
    if (open.length === 0) return;
    await sleep(500);
  }
}

async function controllerMode(ctx) {
  const { o, elb, kube, sa, work, cleanups } = ctx;
  const ns = 'scale';
  const bucket = elb.throttleLikeAws();
  const { albc, pods } = await stage(ctx, ns, TG_CONTROLLER);
  const lease = new LeaseObserver(kube, 'draingate-system', 'draingate-controller').start();
  cleanups.push(() => lease.stop());
  const procs = [0, 1].map((i) => {
    const identity = `draingate-controller-${i}`;
    const env = {
      PATH: process.env.PATH,
      ...sa.env,
      DGBENCH_SA_DIR: sa.dir,
      POD_NAME: identity,
      POD_NAMESPACE: 'draingate-system',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'AKIDCONTROLLER',
      AWS_SECRET_ACCESS_KEY: SECRET,
      DRAINGATE_AWS_ENDPOINT: elb.url,
      DRAINGATE_LISTEN: '127.0.0.1:0',
      DRAINGATE_WATCH_NAMESPACE: ns,
      DRAINGATE_POLL_INTERVAL: o.pollInterval,
      DRAINGATE_LEASE_DURATION: o.lease.duration,
      DRAINGATE_RENEW_DEADLINE: o.lease.renewDeadline,
      DRAINGATE_RETRY_PERIOD: o.lease.retryPeriod,
    };
    const p = new Proc(
      identity,
      join(here, 'controller-proc.mjs'),
      [],
      { ...env, NODE_OPTIONS: CHART_NODE_OPTIONS },
      join(work, `${identity}.log`),
    );
    p.identity = identity;
    p.logFile = join(work, `${identity}.log`);
    return p;
  });
  cleanups.push(() => Promise.all(procs.map((p) => p.kill('SIGKILL'))));
  const stopSampling = sampleEverySecond(() => procs);
  cleanups.push(stopSampling);
  for (const p of procs) p.url = await urlFromLog(p);
  const apiRequests = scrapeKubeRequests(procs);
  cleanups.push(apiRequests.stop);
  const leaderDeadline = Date.now() + 60_000;
  while (!lease.holder && Date.now() < leaderDeadline) await sleep(200);
  if (!lease.holder) throw new Error('no controller became the leader within 60 s');
  o.log(`controller mode: ${procs.length} replicas, leader ${lease.holder}`);

  const sampler = new StatusSampler(procs, ns, pods);
  cleanups.push(() => sampler.stop());
  let kill = null;
  const times = await deployAndRoll(ctx, ns, o.pods, async (s) => {
    sampler.poll();
    if (o.killLeader && !kill && (s.updatedReplicas ?? 0) >= 0.4 * o.pods && (s.availableReplicas ?? 0) > 0) {
      const victim = procs.find((p) => p.identity === lease.holder);
      if (victim) {
        kill = { identity: victim.identity, at: Date.now(), updated: s.updatedReplicas };
        o.log(`killing the leader ${victim.identity} (SIGKILL) with ${s.updatedReplicas} of ${o.pods} pods updated`);
        victim.child.kill('SIGKILL');
      }
    }
  });
  await waitForDrains(pods, times.rolloutStart, o.graceSeconds);
  sampler.poll();
  await sampler.settled(o.graceSeconds * 1000);
  sampler.stop();
  // This mode is over: its replicas stop before the sidecars' run takes a fresh account bucket.
  await Promise.all(procs.map((p) => p.kill('SIGTERM')));
  const takeover = kill ? lease.changes.find((c) => c.at > kill.at && c.holder && c.holder !== kill.identity) : null;
  return summarize({
    mode: 'controller',
    o,
    times,
    pods,
    bucket,
    caller: 'AKIDCONTROLLER',
    lifecycle: elb.targets,
    targetGroupArn: TG_CONTROLLER,
    procs,
    albc: albc.stats,
    apiRequests: apiRequests.total(),
    apiRequestsByVerb: apiRequests.byVerb(),
    kill: kill ? { ...kill, takeoverMs: takeover ? takeover.at - kill.at : null, newLeader: takeover?.holder ?? null } : null,
    sampler: sampler.result(),
    elbCalls: elb.calls,
  });
}

async function sidecarMode(ctx) {
  const { o, elb, kube, sa, work, cleanups } = ctx;
  const ns = 'sidecars';
  const bucket = elb.throttleLikeAws(); // a fresh account bucket: this mode alone
  const { albc, pods } = await stage(ctx, ns, TG_SIDECARS);
  const procs = new Map();
  const spawnFor = (type, p) => {
    const name = p.metadata.name;
    const terminal = p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
    if (type === 'DELETED' || terminal) {
      procs.get(name)?.kill('SIGTERM');
      return;
    }
    if (procs.has(name) || !p.status?.podIP) return;
    const env = {
      PATH: process.env.PATH,
      ...sa.env,
      DGBENCH_SA_DIR: sa.dir,
      DRAINGATE_SOURCE: 'aws',
      POD_NAME: name,
      POD_NAMESPACE: ns,
      POD_UID: p.metadata.uid,
      POD_IP: p.status.podIP,
      NODE_NAME: p.spec.nodeName ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'AKIDSIDECAR',
      AWS_SECRET_ACCESS_KEY: SECRET,
      DRAINGATE_AWS_ENDPOINT: elb.url,
      DRAINGATE_LISTEN: '127.0.0.1:0',
      DRAINGATE_POLL_INTERVAL: o.pollInterval,
    };
    procs.set(name, new Proc(name, join(here, 'sidecar-proc.mjs'), [], env, join(work, `sidecar-${name}.log`)));
  };
  const stopSpawner = listWatch(kube, `/api/v1/namespaces/${ns}/pods`, {}, spawnFor);
  cleanups.push(stopSpawner);
  cleanups.push(() => Promise.all([...procs.values()].map((p) => p.kill('SIGKILL'))));
  const stopSampling = sampleEverySecond(() => procs.values());
  cleanups.push(stopSampling);
  o.log(`sidecar mode: one draingate-sidecar process per pod, ${o.sidecars} pods`);
  const times = await deployAndRoll(ctx, ns, o.sidecars);
  await waitForDrains(pods, times.rolloutStart, o.graceSeconds);
  return summarize({
    mode: 'sidecar',
    o,
    times,
    pods,
    bucket,
    caller: 'AKIDSIDECAR',
    lifecycle: elb.targets,
    targetGroupArn: TG_SIDECARS,
    procs: [...procs.values()],
    albc: albc.stats,
    apiRequests: null,
    kill: null,
    sampler: null,
    elbCalls: elb.calls,
  });
}

async function urlFromLog(p) {
  for (let i = 0; i < 600; i++) {
    const line = readFileSync(p.logFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('{"url"'));
    if (line) return JSON.parse(line).url;
    if (!p.alive) break;
    await sleep(100);
  }
  throw new Error(`${p.name} did not start: ${readFileSync(p.logFile, 'utf8').slice(-2000)}`);
}

/** Each replica's own count of API-server requests (draingate_controller_kube_requests_total), the last seen. */
function scrapeKubeRequests(procs) {
  const last = new Map();
  const t = setInterval(() => {
    for (const p of procs) {
      if (!p.alive) continue;
      fetch(`${p.url}/metrics`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.text())
        .then((text) => {
          const byVerb = {};
          for (const m of text.matchAll(/^draingate_controller_kube_requests_total\{verb="([^"]+)"\} (\d+)/gm)) byVerb[m[1]] = Number(m[2]);
          last.set(p.identity, byVerb);
        })
        .catch(() => {});
    }
  }, 2000);
  const byVerb = () => {
    const sum = {};
    for (const v of last.values()) for (const [verb, n] of Object.entries(v)) sum[verb] = (sum[verb] ?? 0) + n;
    return sum;
  };
  return {
    stop: () => clearInterval(t),
    total: () => Object.values(byVerb()).reduce((a, b) => a + b, 0),
    byVerb,
  };
}

/**
 * What an app sees: for every 10th pod the rollout deletes, the status an app's core would poll
 * (`GET /v1/pods/{ns}/{name}/status`, every second, from the replicas in turn, as a Service spreads them), from its
 * deletion until it says `deregistered: true`.
 */
class StatusSampler {
  constructor(procs, ns, pods) {
    this.procs = procs;
    this.ns = ns;
    this.pods = pods;
    this.watched = new Map();
    this.turn = 0;
    this.timer = setInterval(() => this.#tick(), 1000);
  }

  poll() {
    for (const p of this.pods.pods.values()) {
      if (p.deletionSeenAt === null || this.watched.has(p.name)) continue;
      if ([...p.name].reduce((a, c) => a + c.charCodeAt(0), 0) % 10 !== 0) continue;
      this.watched.set(p.name, { answers: 0, byFollower: 0, startedAtSeenAt: null, deregisteredSeenAt: null, errors: 0, done: false });
    }
  }

  #tick() {
    for (const [name, w] of this.watched) {
      if (w.done) continue;
      const alive = this.procs.filter((p) => p.alive);
      const p = alive[this.turn++ % Math.max(1, alive.length)];
      if (!p) return;
      fetch(`${p.url}/v1/pods/${this.ns}/${name}/status`, { signal: AbortSignal.timeout(2000) })
        .then(async (r) => {
          if (r.status === 404) {
            w.done = true;
            return;
          }
          const b = await r.json();
          w.answers++;
          if (b.controller?.role === 'follower') w.byFollower++;
          if (b.deregistration?.startedAt && w.startedAtSeenAt === null) w.startedAtSeenAt = Date.now();
          if (b.deregistered && w.deregisteredSeenAt === null) {
            w.deregisteredSeenAt = Date.now();
            w.done = true;
          }
        })
        .catch(() => {
          w.errors++;
        });
    }
  }

  /** Until every sampled pod said `deregistered: true` or is gone (404), at most `ms`. */
  async settled(ms) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && [...this.watched.values()].some((w) => !w.done)) await sleep(500);
  }

  stop() {
    clearInterval(this.timer);
  }

  result() {
    const all = [...this.watched.entries()].map(([name, w]) => ({
      name,
      ...w,
      deletionSeenAt: this.pods.pods.get(name)?.deletionSeenAt ?? null,
    }));
    return all;
  }
}
