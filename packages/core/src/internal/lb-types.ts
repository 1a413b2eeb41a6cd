/**
 * What draingate assumes about each kind of AWS load balancer, in one place: the sidecar reports the propagation
 * bound of its target groups' type to core (docs/sidecar-contract.md), doctor checks grace periods against it, and
 * the kit's timings are derived from it. Every number carries its source: change one only with a better source.
 */

/** The load balancer in front of a target group: `alb` (HTTP/HTTPS target groups) or `nlb` (TCP/UDP/TLS). */
export type LbType = 'alb' | 'nlb';

/** Health-check settings of a target group, durations in milliseconds. */
export interface HealthCheckDefaults {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export interface LbTypeFacts {
  readonly type: LbType;
  /**
   * How long after the ELBv2 API shows a target `draining` (DeregisterTargets processed) the load balancer's nodes
   * may still open new connections / send new requests to it. The API's `draining` alone counts as evidence that
   * routing stopped only this long after it first appeared.
   */
  readonly propagationBoundMs: number;
  /** Where `propagationBoundMs` comes from. */
  readonly propagationSource: string;
  /** The AWS Load Balancer Controller's default health check for target groups it creates for this type. */
  readonly controllerHealthCheck: HealthCheckDefaults;
  readonly healthCheckSource: string;
  /** How long registering a new target can take before the load balancer routes to it (users' reports). */
  readonly registrationNote: string;
  /**
   * Whether a node's silence shows it stopped routing here. An ALB node routes every request on its own (L7, its
   * own pool of connections to the targets): a node that sends no request any more has stopped routing. An NLB
   * node routes connections (L4): clients keep their connections, and once this pod answers `Connection: close`
   * they move to connections elsewhere, so its silence comes while the node would still open new ones here.
   */
  readonly silenceShowsStop: boolean;
  /** How long after a node found the target unhealthy it stops routing new connections to it, ms (`null`: at once). */
  readonly unhealthyReactionMs: number | null;
  readonly unhealthyReactionSource: string;
}

export const LB_TYPES: Readonly<Record<LbType, LbTypeFacts>> = Object.freeze({
  alb: Object.freeze({
    type: 'alb',
    propagationBoundMs: 30_000,
    propagationSource:
      'users measured ALB nodes routing new requests to a draining target for ~15-17 s (aws-load-balancer-controller ' +
      'issue #2366, comment of 2022-06-30; "at least 15 seconds": issue #905); a report of ~60 s during node upgrades ' +
      '(foriequal0/pod-graceful-drain PR #53) is covered by maxDelay, not by this bound. 30 s: the measured 17 s with ' +
      'a margin of 13 s.',
    controllerHealthCheck: Object.freeze({ intervalMs: 15_000, timeoutMs: 5_000, healthyThreshold: 2, unhealthyThreshold: 2 }),
    healthCheckSource: 'aws-load-balancer-controller docs/guide/ingress/annotations.md (healthcheck-* defaults)',
    registrationNote: 'a new target must pass one health check on each node before that node routes to it (ALB health-check docs)',
    silenceShowsStop: true,
    unhealthyReactionMs: null,
    unhealthyReactionSource:
      'not documented (ALB health-check docs); each ALB node checks each target itself and acts on its own verdict, so draingate gives it lbHealthCheck.margin (1 s)',
  }),
  nlb: Object.freeze({
    type: 'nlb',
    propagationBoundMs: 150_000,
    propagationSource:
      'users measured an NLB opening new connections to a deregistered ip target for ~2 minutes after DeregisterTargets, ' +
      'whatever the deregistration delay (aws-load-balancer-controller issues #2366 and #3270; aws/containers-roadmap ' +
      '#470). 150 s: 2 minutes with a margin of 30 s.',
    controllerHealthCheck: Object.freeze({ intervalMs: 10_000, timeoutMs: 10_000, healthyThreshold: 3, unhealthyThreshold: 3 }),
    healthCheckSource: 'aws-load-balancer-controller docs/guide/service/annotations.md (healthcheck-* defaults; TCP)',
    registrationNote:
      'registering a target "can take a few minutes" (NLB target-group health-check docs; users: 2-5 min, ' +
      'aws-load-balancer-controller issues #1834, #1786)',
    silenceShowsStop: false,
    unhealthyReactionMs: 40_000,
    unhealthyReactionSource:
      'users measured an NLB still opening new connections to a target 30-40 s after it turned unhealthy (aws/containers-roadmap #470; aws-load-balancer-controller #2366): 40 s',
  }),
});

/**
 * The load balancer type of a target group from its protocol (DescribeTargetGroups `Protocol`): HTTP/HTTPS target
 * groups belong to an ALB, TCP/UDP/TLS/TCP_UDP ones to an NLB; `null` for anything else (GENEVE: a Gateway Load
 * Balancer, which draingate does not model).
 */
export function lbTypeOfProtocol(protocol: string | null | undefined): LbType | null {
  switch ((protocol ?? '').toUpperCase()) {
    case 'HTTP':
    case 'HTTPS':
      return 'alb';
    case 'TCP':
    case 'UDP':
    case 'TLS':
    case 'TCP_UDP':
      return 'nlb';
    default:
      return null;
  }
}
