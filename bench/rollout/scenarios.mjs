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
// Load runs at a fixed rate through HAProxy for the whole run, at least `minRequests` requests, from `warmup`
// before the change until `tail` after the last deleted pod exited.
import { Controller } from './controller.mjs';
import { startHaproxy } from './haproxy.mjs';
import { Kubelet } from './kubelet.mjs';
import { startLoad, summarize } from './load.mjs';

export const scenarios = ['rollout', 'scale-in'];

/** Health checks like an ALB target group at its shortest interval (5 s; ALBC's default is 15 s), thresholds 2. */
export const ALB_HEALTH_CHECK = { interval: 5000, rise: 2, fall: 2 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The HAProxy and kubelet of every run in progress, for killActiveRuns(). */
const active = new Set();

/**
 * Synchronously SIGKILLs the pods and HAProxy of every run still in progress and removes HAProxy's temporary
 * directory. For a signal handler or a test's clean-up: a run's own `finally` cleans up only when it gets to run,
 * not when the process exits (Ctrl-C, an error elsewhere) or a test timed out while the run goes on.
 */
export function killActiveRuns() {
  for (const { haproxy, kubelet } of active) {
    for (const pod of kubelet.pods) if (!pod.exitedAt) pod.child.kill('SIGKILL');
    haproxy.kill();
  }
  active.clear();
}

/**
 * @param {{
 *   adapter: import('./adapters/index.mjs').Adapter, scenario: 'rollout' | 'scale-in', lag: number, rate: number,
 *   minRequests?: number, healthCheck?: { interval: number, rise: number, fall: number }, readinessGate?: boolean,
 *   replicas?: number, scaleTo?: number, warmup?: number, tail?: number, gracePeriod?: number, exitWait?: number,
 *   onEvent?: (e: { t: number, text: string }) => void, onStart?: (load: any) => void,
 * }} o  durations in ms
 */
export async function runScenario(o) {
  const {
    adapter,
    scenario,
    lag,
    rate,
    minRequests = 10_000,
    healthCheck = ALB_HEALTH_CHECK,
    readinessGate = true,
    replicas = 3,
    scaleTo = 1,
    warmup = 5000,
    tail = 3000,
    gracePeriod = 30_000,
    exitWait = Number.POSITIVE_INFINITY,
    onEvent = () => {},
    onStart = () => {},
  } = o;
  if (!scenarios.includes(scenario)) throw new Error(`unknown scenario "${scenario}"; known: ${scenarios.join(', ')}`);
  const haproxy = await startHaproxy({ healthCheck: { ...healthCheck, path: adapter.lbCheck.path } });
  const kubelet = new Kubelet({ readinessGate, gracePeriod });
  const controller = new Controller({ haproxy, kubelet, lag });
  const resources = { haproxy, kubelet };
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
    load = startLoad({ port: haproxy.port, rate });
    onStart(load);
    await sleep(warmup);
    const changeAt = Date.now();
    let completeAt;
    if (scenario === 'rollout') {
      for (const pod of old) {
        const fresh = await kubelet.startPod(adapter);
        event(`${fresh.name} created`);
        await kubelet.whenReady(fresh, 120_000);
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
    const endAt = Math.max(lastExitAt + tail, load.startedAt + Math.ceil((minRequests * 1000) / rate) + 200);
    await sleep(endAt - Date.now());
    const records = await load.stop();
    const summary = summarize(records, load.startedAt);
    if (controller.errors.length) throw controller.errors[0];
    const pods = deleted.map((p) => ({
      name: p.name,
      running: !p.exitedAt, // still running when the measurement stopped (exitWait)
      sigtermToExit: p.sigtermAt && p.exitedAt ? p.exitedAt - p.sigtermAt : null,
      deleteToExit: p.exitedAt ? p.exitedAt - p.deletedAt : null,
      deregisteredAfter: p.deregisteredAt ? p.deregisteredAt - p.deletedAt : null,
      exit: !p.exitedAt ? 'running' : p.killed ? 'SIGKILL' : (p.exit.signal ?? p.exit.code),
      evidence: /"reason":"evidence: ([\w-]+)"/.exec(p.output)?.[1] ?? /draining ended: ([\w-]+)/.exec(p.output)?.[1] ?? null,
      output: p.output,
    }));
    return {
      adapter: adapter.name,
      scenario,
      lag,
      rate,
      ...summary,
      dropped: load.dropped, // due at the fixed rate but not sent (the harness's event loop stalled)
      events,
      pods,
      // null when a pod was still running at the end (exitWait)
      maxSigtermToExit: pods.some((p) => p.running) ? null : Math.max(...pods.map((p) => p.sigtermToExit ?? 0)),
      maxDeleteToExit: pods.some((p) => p.running) ? null : Math.max(...pods.map((p) => p.deleteToExit)),
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
    await haproxy.stop();
    active.delete(resources);
  }
}

/**
 * The bound for a draingate pod: SIGTERM-to-exit no longer than the deregistration lag plus the longest
 * in-flight request plus 2 s. Returns the pods that exceed it (with the bound).
 */
export function overBound(result) {
  return result.pods
    .map((p) => ({ ...p, bound: (p.deregisteredAfter ?? result.lag) + (result.max ?? 0) + 2000 }))
    .filter((p) => p.sigtermToExit === null || p.sigtermToExit > p.bound);
}
