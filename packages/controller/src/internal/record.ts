import type { LbType } from '@draingate/core';
import type { DesiredCondition, RecordedDeregistration } from '@draingate/sidecar/internal';
import type { V1Pod } from '@kubernetes/client-node';

/**
 * The pod condition in which the leader records when the load balancer's API first showed every target of the pod
 * gone (draining, unused or not registered): `status: True`, the moment to the millisecond and the load balancer
 * type in the message. Followers read it from their informer and count the propagation bound from the same moment,
 * so that every replica gives the same `deregistration` answer, and a replica that takes over keeps the start the
 * old leader saw (a later one would only make the app wait longer; an earlier one is never invented). It is not a
 * readiness gate: nothing waits for it; kubelet keeps conditions it does not own.
 */
export const DEREGISTRATION_CONDITION = 'draingate.io/deregistration-started';

const MESSAGE_RE = /^startedAt=(\S+) lbType=(alb|nlb|unknown)(?::|$)/;

export function recordCondition(r: RecordedDeregistration): DesiredCondition {
  return {
    status: 'True',
    reason: 'DeregistrationStarted',
    message: `startedAt=${new Date(r.startedAt).toISOString()} lbType=${r.lbType ?? 'unknown'}: the load balancer's API shows every target of this pod draining, unused or not registered`,
  };
}

/** The record on `pod`, or null (absent, or not one this controller wrote). */
export function readRecord(pod: V1Pod): RecordedDeregistration | null {
  const c = pod.status?.conditions?.find((x) => x.type === DEREGISTRATION_CONDITION);
  if (c?.status !== 'True') return null;
  const m = MESSAGE_RE.exec(c.message ?? '');
  const at = m ? Date.parse(m[1] as string) : Number.NaN;
  if (!m || Number.isNaN(at)) return null;
  return { startedAt: at, lbType: m[2] === 'unknown' ? null : (m[2] as LbType) };
}
