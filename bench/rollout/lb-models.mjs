// The load-balancer models of the rollout harness, and where each number comes from. "facts" is
// ../../../shared/research/aws-facts.md's table of AWS facts with sources (not part of this repository; the
// sources are named here too). Durations in ms.
//
// - single: one HAProxy is the whole load balancer (the harness's first model). HAProxy's own health checks,
//   every 5 s × 2; deregistration reaches "the LB" at one instant; no fail-open. Kinder than AWS: it claims only
//   that an app survives a deregistration lag, not an LB whose nodes let go one by one.
// - alb: an Application Load Balancer in ip target mode, as the AWS Load Balancer Controller (ALBC) sets it up.
// - nlb: a Network Load Balancer in ip target mode (L4, `mode tcp`), with the settings of our NLB guide
//   (docs/eks.md, examples/k8s/overlays/nlb-ip).

/** @typedef {[number, number]} Range  a uniform distribution [min, max] in ms, drawn per node with the run's seed */

/**
 * @typedef {object} LbModel
 * @property {'single' | 'alb' | 'nlb'} name
 * @property {string} title
 * @property {'http' | 'tcp'} mode
 * @property {number[]} shares           traffic share of each LB node (normalised); their count is the node count
 * @property {{ interval: number, timeout: number, healthyThreshold: number, unhealthyThreshold: number,
 *              host: 'target' | 'node' }} healthCheck
 * @property {{ register: Range, deregister: Range, unhealthy: Range }} propagation
 *   register/deregister: from the API call until a node applies it; unhealthy: from a node's failing verdict
 *   until that node stops routing new requests/connections to the target
 * @property {boolean} failOpen          a node whose registered targets are all unhealthy routes to all of them
 * @property {boolean} resetOnUnhealthy  a node resets the client connections of a target it finds unhealthy
 * @property {number} deregistrationDelay  API `draining` → `unused` (early once the target has no connection left)
 * @property {number} idleTimeout        the LB's idle timeout on both sides
 * @property {{ gracePeriod: number, env: Record<string, string> }} pod  what the guide puts in the pod spec
 */

/** @type {Record<'single' | 'alb' | 'nlb', LbModel>} */
export const LB_MODELS = {
  single: {
    name: 'single',
    title: 'one HAProxy as the whole LB (HAProxy health checks every 5 s × 2, one-instant deregistration, no fail-open)',
    mode: 'http',
    shares: [1],
    // ALB's shortest interval; healthy/unhealthy 2 (bench/README.md explains why 5 s, not ALBC's 15 s).
    healthCheck: { interval: 5000, timeout: 2000, healthyThreshold: 2, unhealthyThreshold: 2, host: 'target' },
    propagation: { register: [0, 0], deregister: [0, 0], unhealthy: [0, 0] },
    failOpen: false,
    resetOnUnhealthy: false,
    deregistrationDelay: 300_000,
    idleTimeout: 60_000,
    pod: { gracePeriod: 30_000, env: {} },
  },
  alb: {
    name: 'alb',
    title: 'ALB, ip targets: 3 nodes (traffic 50/30/20), ALBC health checks 15 s × 2, per-node deregistration 3–17 s',
    mode: 'http',
    // An ALB has at least one node per enabled AZ (ALBC needs 2 subnets; 3 AZs is the usual EKS layout); clients
    // spread over the nodes through DNS, unevenly (issue 11).
    shares: [50, 30, 20],
    // ALBC defaults for an Ingress (facts: docs/guide/ingress/annotations.md): 15 s, timeout 5 s, healthy 2,
    // unhealthy 2. The Host header of an ALB check is not documented: the target's address:port here.
    healthCheck: { interval: 15_000, timeout: 5000, healthyThreshold: 2, unhealthyThreshold: 2, host: 'target' },
    propagation: {
      // Not documented; small, so that the first passing check (at a random phase of the interval) dominates.
      register: [0, 2000],
      // facts: users measured ALB nodes routing new requests to a `draining` target ~15–17 s (API draining at
      // 2 s, traffic until 19 s: ALBC #2366, 2022-06-30; "at least 15 seconds": ALBC #905). Each node on its own
      // schedule (issue 11); the 3 s lower end is this model's choice ("several seconds"): the spread is what
      // lets one node stop long before another.
      deregister: [3000, 17_000],
      // How fast a node stops routing to a target it found unhealthy is not documented (facts); each ALB node
      // checks the target itself, so it acts on its own verdict at once here.
      unhealthy: [0, 0],
    },
    failOpen: true, // ALB health-check docs: "routes requests to all those targets, regardless of their health"
    resetOnUnhealthy: false,
    deregistrationDelay: 60_000, // our ALB overlays' deregistration_delay.timeout_seconds (examples/k8s)
    idleTimeout: 60_000, // ALB idle timeout default
    // Our ALB guide (docs/eks.md, examples/k8s): terminationGracePeriodSeconds 60 and DRAINGATE_GRACE_PERIOD to match;
    // every other draingate setting is the default (maxDelay is what the grace period leaves: 50 s). Kubernetes'
    // default 30 s cannot hold the controller's lag (up to ~10 s) + an ALB's propagation (up to ~17 s) + stopping.
    pod: { gracePeriod: 60_000, env: { DRAINGATE_GRACE_PERIOD: '60s' } },
  },
  nlb: {
    name: 'nlb',
    title: 'NLB, ip targets, L4: 3 nodes (50/30/20), HTTP checks 10 s × 2, per-node deregistration 60–150 s',
    mode: 'tcp',
    shares: [50, 30, 20],
    // Our nlb-ip overlay: HTTP on /readyz, interval 10 s, timeout 6 s, thresholds 2 (the ALBC default would be TCP
    // 10 s × 3, which cannot see a 503). NLB HTTP checks carry `Host: <LB node IP>:<port>` (facts).
    healthCheck: { interval: 10_000, timeout: 6000, healthyThreshold: 2, unhealthyThreshold: 2, host: 'node' },
    propagation: {
      // facts: NLB registration "can take a few minutes" (users: 2–5 min; ALBC #1834, #1786).
      register: [120_000, 300_000],
      // facts: an NLB keeps opening new connections to a deregistered ip target ~2 minutes after
      // DeregisterTargets, whatever the deregistration delay (ALBC #2366, #3270; containers-roadmap #470).
      deregister: [60_000, 150_000],
      // facts: new connections stop 30–40 s after the target turns Unhealthy (containers-roadmap #470).
      unhealthy: [30_000, 40_000],
    },
    failOpen: true, // NLB health-check docs: fails open when every target is unhealthy
    // NLB health-check docs: RST on the client connections of a target that turns unhealthy
    // (target_health_state.unhealthy.connection_termination.enabled, default true), unless it fails open. Our
    // nlb-ip overlay turns it off (connections kept for draining_interval_seconds=180 s, past the pod's life), so
    // this model does not reset; `--lb-model nlb` with `resetOnUnhealthy: true` is the NLB with AWS's default.
    resetOnUnhealthy: false,
    deregistrationDelay: 180_000, // our nlb-ip overlay's deregistration_delay.timeout_seconds
    idleTimeout: 350_000, // NLB TCP idle timeout
    // Our nlb-ip overlay: terminationGracePeriodSeconds 180, DRAINGATE_GRACE_PERIOD 180s, DRAINGATE_MAX_DELAY 170s,
    // DRAINGATE_LB_TYPE nlb (a silence behind an L4 load balancer proves nothing).
    pod: { gracePeriod: 180_000, env: { DRAINGATE_GRACE_PERIOD: '180s', DRAINGATE_MAX_DELAY: '170s', DRAINGATE_LB_TYPE: 'nlb' } },
  },
};

export const LB_MODEL_NAMES = Object.keys(LB_MODELS);

/**
 * A model by name, with overrides (e.g. `{ shares: [60, 40] }` for 2 nodes, or shorter propagation for a test).
 * Throws an error naming the setting when a value is out of range.
 * @param {string} name @param {Record<string, any>} [overrides]  any LbModel field; nested ones (healthCheck, propagation, pod) merge
 * @returns {LbModel}
 */
export function lbModel(name, overrides = {}) {
  const base = LB_MODELS[name];
  if (!base) throw new Error(`--lb-model: unknown model "${name}"; known: ${LB_MODEL_NAMES.join(', ')}`);
  const m = {
    ...base,
    ...overrides,
    healthCheck: { ...base.healthCheck, ...overrides.healthCheck },
    propagation: { ...base.propagation, ...overrides.propagation },
    pod: { ...base.pod, ...overrides.pod },
  };
  if (!Array.isArray(m.shares) || m.shares.length < 1 || m.shares.length > 8 || m.shares.some((s) => !(s > 0))) {
    throw new Error(`--shares: ${JSON.stringify(m.shares)} is not a list of 1 to 8 positive numbers (e.g. --shares 50,30,20)`);
  }
  if (name === 'single' && m.shares.length !== 1) throw new Error('--shares: the single model has exactly one node');
  for (const [k, r] of Object.entries(m.propagation)) {
    if (!Array.isArray(r) || r.length !== 2 || !(r[0] >= 0) || !(r[1] >= r[0])) {
      throw new Error(`propagation.${k}: ${JSON.stringify(r)} is not a range [min, max] in ms with 0 <= min <= max`);
    }
  }
  const hc = m.healthCheck;
  if (!(hc.interval > 0 && hc.timeout > 0 && hc.timeout <= hc.interval && hc.healthyThreshold >= 1 && hc.unhealthyThreshold >= 1)) {
    throw new Error(`healthCheck: ${JSON.stringify(hc)} needs interval > 0, 0 < timeout <= interval, thresholds >= 1`);
  }
  return m;
}

/** "50,30,20" → [50, 30, 20], with an error naming the flag. */
export function parseShares(text) {
  const shares = text.split(',').map((s) => Number(s.trim()));
  if (shares.length < 1 || shares.some((s) => !Number.isFinite(s) || s <= 0)) {
    throw new Error(`--shares: "${text}" is not a list of positive numbers, one per LB node (e.g. --shares 50,30,20)`);
  }
  return shares;
}

/** The loopback address LB node `i` connects and health-checks from (127.0.0.11, .12, …), as ALB nodes have their own IPs. */
export function nodeAddress(i) {
  return `127.0.0.${11 + i}`;
}
