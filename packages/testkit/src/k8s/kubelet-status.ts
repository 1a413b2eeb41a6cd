/**
 * The pod status a kubelet would write, as pure functions (used by `kubelet-sim.ts`). Modelled on kubelet v1.37.1,
 * `pkg/kubelet/status/generate.go` (`GenerateContainersReadyCondition`, `GeneratePodReadyCondition`,
 * `generate*ConditionForTerminalPhase`): same condition types, reasons and messages.
 */

export interface ConditionJson {
  type: string;
  status: string;
  reason?: string | null;
  message?: string | null;
  lastTransitionTime?: string | null;
}

/** A pod as the API server sends it (plain JSON: dates are strings), the fields the simulator reads. */
export interface PodJson {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    deletionTimestamp?: string;
    deletionGracePeriodSeconds?: number;
    labels?: Record<string, string>;
  };
  spec: { nodeName?: string; containers: { name: string; image?: string }[]; readinessGates?: { conditionType: string }[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: ConditionJson[];
    containerStatuses?: { name: string; ready: boolean; state?: { running?: { startedAt?: string } } }[];
  };
}

/** What the simulator keeps per pod. */
export interface PodState {
  pod: PodJson;
  retries: number;
  ip?: string;
  startedAt?: number;
  terminatingAt?: number;
  bindSent?: boolean;
  deleteSent?: boolean;
}

const iso = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/** `GenerateContainersReadyCondition` for a pod whose containers are all running: ready or not, all alike. */
export function containersReadyCondition(pod: PodJson, ready: boolean): ConditionJson {
  if (ready) return { type: 'ContainersReady', status: 'True' };
  // Go prints a []string as [a b].
  const names = pod.spec.containers.map((c) => c.name).join(' ');
  return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${names}]` };
}

/**
 * `GeneratePodReadyCondition`: Ready is ContainersReady (with its reason and message) when that is not True;
 * otherwise True only if every readiness gate's condition exists in `conditions` with status True.
 */
export function podReady(pod: PodJson, conditions: readonly ConditionJson[], containersReady: ConditionJson): ConditionJson {
  if (containersReady.status !== 'True') {
    return {
      type: 'Ready',
      status: containersReady.status,
      reason: containersReady.reason ?? null,
      message: containersReady.message ?? null,
    };
  }
  const unready: string[] = [];
  for (const { conditionType } of pod.spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === conditionType);
    if (!c) unready.push(`corresponding condition of pod readiness gate "${conditionType}" does not exist.`);
    else if (c.status !== 'True') unready.push(`the status of pod readiness gate "${conditionType}" is not "True", but ${c.status}`);
  }
  if (unready.length > 0) return { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: unready.join(', ') };
  return { type: 'Ready', status: 'True' };
}

function changed(cur: ConditionJson | undefined, want: ConditionJson): boolean {
  return (
    !cur || cur.status !== want.status || (cur.reason ?? null) !== (want.reason ?? null) || (cur.message ?? null) !== (want.message ?? null)
  );
}

/**
 * The conditions of `want` that differ from the pod's, as strategic-merge-patch entries: `null` removes a reason or
 * message that no longer applies; `lastTransitionTime` is `now` only when the status changes (kubelet's
 * `updateLastTransitionTime`), else the one the pod has.
 */
function conditionPatch(pod: PodJson, want: readonly ConditionJson[], now: Date): ConditionJson[] {
  const current = pod.status?.conditions ?? [];
  const out: ConditionJson[] = [];
  for (const w of want) {
    const cur = current.find((c) => c.type === w.type);
    if (!changed(cur, w)) continue;
    out.push({
      type: w.type,
      status: w.status,
      reason: w.reason ?? null,
      message: w.message ?? null,
      lastTransitionTime: cur && cur.status === w.status ? (cur.lastTransitionTime ?? iso(now)) : iso(now),
    });
  }
  return out;
}

export interface RunningStatus {
  ip: string;
  hostIp: string;
  startedAt: Date;
  containersReady: boolean;
  now: Date;
}

/** The status patch that makes `pod` Running with its containers (not) ready and Ready computed; null if it is so. */
export function kubeletConditions(pod: PodJson, s: RunningStatus): Record<string, unknown> | null {
  const containersReady = containersReadyCondition(pod, s.containersReady);
  const conditions = conditionPatch(
    pod,
    [
      { type: 'PodReadyToStartContainers', status: 'True' },
      { type: 'Initialized', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
      containersReady,
      podReady(pod, pod.status?.conditions ?? [], containersReady),
    ],
    s.now,
  );
  const patch: Record<string, unknown> = {};
  if (conditions.length > 0) patch.conditions = conditions;
  if (pod.status?.phase !== 'Running') patch.phase = 'Running';
  if (pod.status?.podIP !== s.ip) {
    Object.assign(patch, {
      podIP: s.ip,
      podIPs: [{ ip: s.ip }],
      hostIP: s.hostIp,
      hostIPs: [{ ip: s.hostIp }],
      startTime: iso(s.startedAt),
    });
  }
  const statuses = pod.status?.containerStatuses ?? [];
  const same =
    statuses.length === pod.spec.containers.length &&
    pod.spec.containers.every((c) => statuses.some((x) => x.name === c.name && x.ready === s.containersReady && x.state?.running));
  if (!same) {
    // containerStatuses has no merge key: the list is replaced whole.
    patch.containerStatuses = pod.spec.containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: `sim://${c.image ?? ''}`,
      containerID: `sim://${pod.metadata.uid}/${c.name}`,
      ready: s.containersReady,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: iso(s.startedAt) } },
    }));
  }
  return Object.keys(patch).length > 0 ? patch : null;
}

/** Every container exited 0: phase Succeeded, ContainersReady and Ready False with reason PodCompleted. */
export function terminalStatus(pod: PodJson, now: Date): Record<string, unknown> {
  const completed = (type: string): ConditionJson => ({ type, status: 'False', reason: 'PodCompleted' });
  const running = new Map((pod.status?.containerStatuses ?? []).map((c) => [c.name, c.state?.running?.startedAt]));
  return {
    phase: 'Succeeded',
    conditions: conditionPatch(pod, [completed('ContainersReady'), completed('Ready')], now),
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: `sim://${c.image ?? ''}`,
      containerID: `sim://${pod.metadata.uid}/${c.name}`,
      ready: false,
      started: false,
      restartCount: 0,
      state: {
        terminated: { exitCode: 0, reason: 'Completed', startedAt: running.get(c.name) ?? iso(now), finishedAt: iso(now) },
      },
    })),
  };
}
