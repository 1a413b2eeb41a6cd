// The rollout harness's load balancer: a model (lb-models.mjs) started as one HAProxy-backed LB. Both kinds offer
// the ELBv2 calls the controller emulation makes (register = RegisterTargets, deregister = DeregisterTargets), the
// API view (`targetGroup`, what DescribeTargetHealth answers), the entry points clients spread over
// (`entryPoints`), and per target the record of which node routed to it until when (`routing(target)`).

import { startNodesLb } from './lb-nodes.mjs';
import { startSingleLb } from './lb-single.mjs';

/**
 * @param {{ model: import('./lb-models.mjs').LbModel, checkPath: string, seed: number }} o
 * @returns {Promise<import('./lb-base.mjs').LoadBalancer & { register(t: any, o?: { initial?: boolean }): Promise<void>,
 *   deregister(t: any): Promise<void>, exited(t: any): void }>}
 */
export function startLb(o) {
  return o.model.name === 'single' ? startSingleLb(o) : startNodesLb(o);
}
