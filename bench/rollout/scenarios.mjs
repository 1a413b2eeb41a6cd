// The two scenarios, each run with one adapter behind a fresh HAProxy:
//
// - rollout: a Deployment of 3 replicas updated with maxSurge 1, maxUnavailable 0. As the Deployment
//   controller does: create one new pod, wait until it is Ready, delete one old pod (without waiting for it to
//   exit), repeat. "Ready" includes the pod's readiness gate, set by the controller emulation once the target is
//   healthy in the load balancer — the AWS Load Balancer Controller's pod readiness gate. Without a readiness
//   gate (`readinessGate: false`), a Deployment waits for the kubelet's probe only, and with a registration lag
//   it deletes every old pod before any new one takes traffic: an outage no application can prevent.
// - scale-in: 3 replicas scaled to 1 (two pods deleted at once).
//
// Load runs at a fixed rate through the load balancer for the whole run, at least `minRequests` requests, from
// `warmup` before the change until `tail` after the last deleted pod exited.
//
// The load balancer is a model (lb-models.mjs): `alb` (default: 3 nodes, per-node propagation), `nlb`, or
// `single` (one HAProxy, the harness's first model). Its random draws follow `seed` (printed with every result).
import { Controller } from './controller.mjs';
import { Kubelet } from './kubelet.mjs';
import { startLb } from './lb.mjs';
import { lbModel } from './lb-models.mjs';
import { startLoad, summarize } from './load.mjs';
import { randomSeed } from './seeded.mjs';
import { startSidecarStack } from './sidecar-stack.mjs';

export const scenarios = ['rollout', 'scale-in'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The load balancer and kubelet of every run in progress, for killActiveRuns(). */
const active = new Set();

/**
 * Synchronously SIGKILLs the pods and HAProxy of every run still in progress and removes HAProxy's temporary
 * directory. For a signal handler or a test's clean-up: a run's own `finally` cleans up only when it gets to run,
 * not when the process exits (Ctrl-C, an error elsewhere) or a test timed out while the run goes on.
 */
export function killActiveRuns() {
  for (const { lb, kubelet } of active) {
    for (const pod of kubelet.pods) {
      if (!pod.exitedAt) pod.child.kill('SIGKILL');
      pod.sidecar?.kill('SIGKILL');
    }
    lb.kill();
  }
  active.clear();
}

/**
 * @param {{
 *   adapter: import('./adapters/index.mjs').Adapter, scenario: 'rollout' | 'scale-in', lag: number, rate: number,
 *   lbModel?: 'alb' | 'nlb' | 'single', lb?: Record<string, any>, seed?: number,
 *   minRequests?: number, readinessGate?: boolean, replicas?: number, scaleTo?: number, warmup?: number,
 *   tail?: number, gracePeriod?: number, exitWait?: number,
 *   onEvent?: (e: { t: number, text: string }) => void, onStart?: (load: any) => void,
 * }} o  durations in ms; gracePeriod defaults to the model's pod spec (30 s; NLB guide 150 s)
 */
export async function runScenario(o) {
  const {
    adapter,
    scenario,
    lag,
    rate,
    seed = randomSeed(),
    minRequests = 10_000,
    readinessGate = true,
    replicas = 3,
    scaleTo = 1,
    warmup = 5000,
    tail = 3000,
    exitWait = Number.POSITIVE_INFINITY,
    onEvent = () => {},
    onStart = () => {},
  } = o;
  if (!scenarios.includes(scenario)) throw new Error(`unknown scenario "${scenario}"; known: ${scenarios.join(', ')}`);
  const model = lbModel(o.lbModel ?? 'alb', o.lb);
  const gracePeriod = o.gracePeriod ?? model.pod.gracePeriod;
  const lb = await startLb({ model, checkPath: adapter.lbCheck.path, seed });
  // The app + sidecar stack: a real kube-apiserver for the pods' objects and the fake ELBv2 fed from the API view.
  let stack = null;
  try {
    if (adapter.sidecar) stack = await startSidecarStack({ targetGroup: lb.targetGroup, mode: model.mode });
  } catch (e) {
    await lb.stop();
    throw e;
  }
  const kubelet = new Kubelet({ readinessGate, gracePeriod, env: model.pod.env, stack });
  const controller = new Controller({ lb, kubelet, lag });
  const resources = { lb, kubelet };
  active.add(resources);
  let load;
  const events = [];
  const event = (text) => {
    const e = { t: load ? Date.now() - load.startedAt : 0, text };
    events.push(e);
    onEvent(e);
  };
  try {
    // The Deployment as it was before the change: pods that have been serving for a while (registered at once).
    const initialReady = (pod) => void controller.register(pod, { initial: true }).catch((e) => controller.errors.push(e));
    kubelet.on('containerReady', initialReady);
    const old = [];
    for (let i = 0; i < replicas; i++) old.push(await kubelet.startPod(adapter));
    await Promise.all(old.map((p) => kubelet.whenReady(p, 30_000)));
    kubelet.off('containerReady', initialReady);

    kubelet.on('ready', (p) => event(`${p.name} Ready`));
    kubelet.on('deleted', (p) => event(`${p.name} deleted`));
    kubelet.on('exited', (p) => {
      if (p.deletedAt) event(`${p.name} exited${p.killed ? ' (SIGKILL)' : ''}`);
    });
    load = startLoad({ entryPoints: lb.entryPoints, rate, seed });
    onStart(load);
    await sleep(warmup);
    const changeAt = Date.now();
    let completeAt;
    if (scenario === 'rollout') {
      for (const pod of old) {
        const fresh = await kubelet.startPod(adapter);
        event(`${fresh.name} created`);
        // NLB registration takes minutes (lb-models.mjs): wait as long as the model needs.
        await kubelet.whenReady(fresh, Math.max(120_000, lag + model.propagation.register[1] + 2 * model.healthCheck.interval + 30_000));
        kubelet.deletePod(pod);
      }
      completeAt = Date.now();
    } else {
      for (const pod of old.slice(scaleTo)) kubelet.deletePod(pod);
      completeAt = Date.now();
    }
    const deleted = kubelet.pods.filter((p) => p.deletedAt);
    // exitWait: stop measuring that long after the change completed even if deleted pods still run (the demo).
    let waitTimer;
    await Promise.race([
      Promise.all(deleted.map((p) => p.exited)),
      new Promise((r) => {
        if (Number.isFinite(exitWait)) waitTimer = setTimeout(r, Math.max(0, completeAt + exitWait - Date.now()));
      }),
    ]);
    clearTimeout(waitTimer);
    const lastExitAt = Date.now();
    // Go on measuring until every LB node has stopped routing to the deleted pods: a pod that exited early is
    // still sent requests until then, and those failures count. Bounded by exitWait, or by how long the model can
    // take to let go (the last node's deregistration, or its health checks failing and being acted on).
    const letGoBy = Number.isFinite(exitWait)
      ? completeAt + exitWait
      : completeAt +
        lag +
        Math.max(
          model.propagation.deregister[1],
          (model.healthCheck.unhealthyThreshold + 1) * model.healthCheck.interval + model.propagation.unhealthy[1],
        ) +
        5000;
    while (Date.now() < letGoBy && deleted.some((p) => lb.routing(p)?.nodes.some((n) => n.routing))) await sleep(100);
    const endAt = Math.max(Date.now() + tail, load.startedAt + Math.ceil((minRequests * 1000) / rate) + 200);
    await sleep(endAt - Date.now());
    const records = await load.stop();
    await sleep(200); // HAProxy's last log lines (TCP mode logs a connection when it closes)
    const summary = summarize(records, load.startedAt);
    if (controller.errors.length) throw controller.errors[0];
    if (lb.errors.length) throw lb.errors[0];
    if (kubelet.errors.length) throw kubelet.errors[0];
    const pods = deleted.map((p) => podResult(p, lb.routing(p)));
    return {
      adapter: adapter.name,
      scenario,
      lag,
      rate,
      lbModel: model.name,
      nodes: lb.nodes.map((n) => ({ name: n.name, address: n.address, share: n.share })),
      seed,
      ...summary,
      dropped: load.dropped, // due at the fixed rate but not sent (the harness's event loop stalled)
      // The harness's own stalls of ≥ 1 s, ms after the change: every LB node fell silent at once for that long.
      stalls: load.stalls.map((st) => ({ at: st.at - changeAt, ms: st.ms })),
      events,
      pods,
      failOpen: lb.failOpenPeriods?.().filter((n) => n.periods.length) ?? [],
      // null when a pod was still running at the end (exitWait)
      maxSigtermToExit: pods.some((p) => p.running) ? null : Math.max(...pods.map((p) => p.sigtermToExit ?? 0)),
      maxDeleteToExit: pods.some((p) => p.running) ? null : Math.max(...pods.map((p) => p.deleteToExit)),
      // The LB's last node let go of the last deleted pod (after its deletion); null while one still routes.
      maxLastStop: pods.some((p) => p.lastStopAfter === null) ? null : Math.max(...pods.map((p) => p.lastStopAfter)),
      // Deployment complete (kubectl rollout status returns) / every deleted pod gone (a node drain could go on).
      changeTime: completeAt - changeAt,
      totalTime: pods.some((p) => p.running) ? null : lastExitAt - changeAt,
      measuredFor: lastExitAt - changeAt,
      startedAt: load.startedAt,
    };
  } finally {
    if (load) await load.stop().catch(() => {});
    controller.stop();
    await kubelet.killAll();
    await lb.stop();
    await stack?.stop();
    active.delete(resources);
  }
}

/**
 * A deleted pod's result. Times are ms after its deletion: SIGTERM, exit, the API's `draining` (ALBC's
 * DeregisterTargets), each LB node's deregistration, stop of routing and last request, and the evidence that
 * ended draining with its time after draining began (draingate's examples print each state change as
 * `{"event":"state",…,"reason":"evidence: <kind>","at":…}`; the detail comes from core's log line
 * "draining ended: <kind>", when the log level shows it).
 */
function podResult(p, routing) {
  const after = (t) => (t === null || t === undefined ? null : t - p.deletedAt);
  const json = (line) => {
    try {
      return JSON.parse(line);
    } catch {
      return null;
    }
  };
  const lines = p.output.split('\n');
  const states = lines
    .filter((l) => l.startsWith('{"event":"state"'))
    .map(json)
    .filter(Boolean);
  const draining = states.find((x) => x.to === 'draining');
  const stopping = states.find((x) => x.to === 'stopping' && x.reason?.startsWith('evidence: '));
  // "[draingate] info draining ended: quiet-period {…}" (core's logger) or a pino line whose msg says so (fastify)
  const endedLine = lines.find((l) => l.includes('draining ended: '));
  const ended = endedLine && (json(endedLine) ?? json(/draining ended: [\w-]+ (\{.*\})/.exec(endedLine)?.[1] ?? ''));
  return {
    name: p.name,
    running: !p.exitedAt, // still running when the measurement stopped (exitWait)
    sigtermToExit: p.sigtermAt && p.exitedAt ? p.exitedAt - p.sigtermAt : null,
    deleteToExit: p.exitedAt ? p.exitedAt - p.deletedAt : null,
    sigtermAfter: after(p.sigtermAt),
    deregisteredAfter: after(p.deregisteredAt),
    apiDrainingAfter: after(routing?.apiDrainingAt),
    lastStopAfter: after(routing?.lastStoppedAt),
    lastStopNode: routing?.lastStoppedNode ?? null,
    // The API view's transitions (what DescribeTargetHealth showed, and from when)
    api: (routing?.apiHistory ?? []).map((h) => ({ state: h.state, reason: h.reason, after: after(h.at) })),
    lastRequestAfter: after(routing?.lastRequestAt),
    // > 0: the pod exited after the last LB node let go; < 0: while a node still routed to it
    exitMinusLastStop: p.exitedAt && routing?.lastStoppedAt ? p.exitedAt - routing.lastStoppedAt : null,
    nodes: (routing?.nodes ?? []).map((n) => ({
      node: n.node,
      address: n.address,
      deregisteredAfter: after(n.deregisteredAt),
      stoppedAfter: n.routing ? null : after(n.stoppedAt),
      stopReason: n.routing ? 'still routing' : n.stopReason,
      lastRequestAfter: after(n.lastRequestAt),
      requests: n.requests,
    })),
    exit: !p.exitedAt ? 'running' : p.killed ? 'SIGKILL' : (p.exit.signal ?? p.exit.code),
    evidence: stopping?.reason.slice('evidence: '.length) ?? ended?.evidence ?? null,
    evidenceAfter: stopping && draining ? stopping.at - draining.at : (ended?.afterMs ?? null),
    evidenceDetail: ended?.detail ?? null,
    output: p.output,
  };
}

/**
 * The bound for a draingate pod. Single model: SIGTERM-to-exit no longer than the deregistration lag plus
 * the longest request plus 2 s. Multi-node models (issue 11): no longer than the moment the last LB node stopped
 * routing to it plus the longest request plus 2.5 s. Returns the pods that exceed it (with the bound).
 */
export function overBound(result) {
  const single = result.lbModel === 'single';
  return result.pods
    .map((p) => {
      const letGo = single ? (p.deregisteredAfter ?? result.lag) : p.lastStopAfter;
      const bound = letGo === null ? Number.POSITIVE_INFINITY : letGo + (result.max ?? 0) + (single ? 2000 : 2500);
      return { ...p, bound };
    })
    .filter((p) => p.sigtermToExit === null || p.sigtermToExit > p.bound);
}
