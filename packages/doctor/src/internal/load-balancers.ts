/**
 * The AWS load balancers in front of a workload, as the AWS Load Balancer Controller will configure them from the
 * Ingress (ALB) and Service (NLB) annotations, with the controller's defaults (core's `LB_TYPES`, one definition for
 * the sidecar, doctor and the kit) and where each setting was read.
 */
import type { LbType } from '@draingate/core';
import { LB_TYPES } from '@draingate/core/internal';
import { get, type K8sObject, objs } from './objects.js';

/** The load balancer health check as the AWS Load Balancer Controller will configure it. */
export interface HealthCheck {
  readonly protocol: string;
  /** `null` for TCP health checks. */
  readonly path: string | null;
  readonly intervalSeconds: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
}

type Setting = 'targetType' | 'path' | 'protocol' | 'interval' | 'unhealthy' | 'deregistration';

/** One load balancer (target group) in front of the workload. */
export interface LoadBalancer {
  readonly type: LbType;
  /** The Ingress (ALB) or Service (NLB) whose annotations configure it. */
  readonly object: K8sObject;
  /** The Service whose pods are the targets. */
  readonly service: K8sObject;
  readonly targetType: 'ip' | 'instance';
  readonly healthCheck: HealthCheck;
  readonly deregistrationDelaySeconds: number;
  /**
   * The target-group attributes the annotation sets (`key=value,...`), as given; `deregistration` in `fields` and
   * `origins` names where they were read.
   */
  readonly attributes: Readonly<Record<string, string>>;
  /** Where each setting was read from: `metadata.annotations[...]` or `(default)`. */
  readonly fields: Readonly<Record<Setting, string>>;
  /** The object that carried each annotation (Service annotations override the Ingress's). */
  readonly origins: Readonly<Record<Setting, K8sObject>>;
}

const ALB = 'alb.ingress.kubernetes.io/';
const NLB = 'service.beta.kubernetes.io/';

function int(value: string | undefined, fallback: number): number {
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : fallback;
}

/** A target-group-attributes annotation (`k1=v1,k2=v2`) as a map. */
function parseAttributes(annotation: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (annotation ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at > 0) out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return out;
}

/**
 * `deregistration_delay.timeout_seconds`, else the AWS default of 300 s (ELBv2 API reference, TargetGroupAttribute).
 */
function deregistrationDelay(attributes: Readonly<Record<string, string>>): number {
  const v = attributes['deregistration_delay.timeout_seconds'];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : 300;
}

/** The controller's default health check of a load balancer type, in the annotations' units (seconds). */
function controllerDefaults(type: LbType): { interval: number; healthy: number; unhealthy: number } {
  const hc = LB_TYPES[type].controllerHealthCheck;
  return { interval: hc.intervalMs / 1000, healthy: hc.healthyThreshold, unhealthy: hc.unhealthyThreshold };
}

function isAlbIngress(ing: K8sObject): boolean {
  const cls = get(ing.raw, 'spec', 'ingressClassName') ?? ing.annotations['kubernetes.io/ingress.class'];
  return cls === 'alb' || Object.keys(ing.annotations).some((a) => a.startsWith(ALB));
}

export function ingressBackends(ing: K8sObject): string[] {
  const names: string[] = [];
  const def = get(ing.raw, 'spec', 'defaultBackend', 'service', 'name');
  if (typeof def === 'string') names.push(def);
  for (const rule of objs(get(ing.raw, 'spec', 'rules'))) {
    for (const p of objs(get(rule, 'http', 'paths'))) {
      const n = get(p, 'backend', 'service', 'name');
      if (typeof n === 'string') names.push(n);
    }
  }
  return names;
}

function albFor(ing: K8sObject, svc: K8sObject): LoadBalancer {
  // Service annotations win over the Ingress's (AWS Load Balancer Controller, "Ingress annotations").
  const pick = (key: string): { value: string | undefined; field: string; origin: K8sObject } => {
    const full = ALB + key;
    if (svc.annotations[full] !== undefined) return { value: svc.annotations[full], field: `metadata.annotations["${full}"]`, origin: svc };
    if (ing.annotations[full] !== undefined) return { value: ing.annotations[full], field: `metadata.annotations["${full}"]`, origin: ing };
    return { value: undefined, field: `metadata.annotations["${full}"] (not set)`, origin: ing };
  };
  const tt = pick('target-type');
  const path = pick('healthcheck-path');
  const proto = pick('healthcheck-protocol');
  const interval = pick('healthcheck-interval-seconds');
  const unhealthy = pick('unhealthy-threshold-count');
  const healthy = pick('healthy-threshold-count');
  const attrs = pick('target-group-attributes');
  const attributes = parseAttributes(attrs.value);
  const grpc = pick('backend-protocol-version').value === 'GRPC';
  const defaults = controllerDefaults('alb');
  return {
    type: 'alb',
    object: ing,
    service: svc,
    targetType: tt.value === 'ip' ? 'ip' : 'instance',
    healthCheck: {
      protocol: (proto.value ?? 'HTTP').toUpperCase(),
      path: path.value ?? (grpc ? '/AWS.ALB/healthcheck' : '/'),
      intervalSeconds: int(interval.value, defaults.interval),
      unhealthyThreshold: int(unhealthy.value, defaults.unhealthy),
      healthyThreshold: int(healthy.value, defaults.healthy),
    },
    deregistrationDelaySeconds: deregistrationDelay(attributes),
    attributes,
    fields: {
      targetType: tt.field,
      path: path.field,
      protocol: proto.field,
      interval: interval.field,
      unhealthy: unhealthy.field,
      deregistration: attrs.field,
    },
    origins: {
      targetType: tt.origin,
      path: path.origin,
      protocol: proto.origin,
      interval: interval.origin,
      unhealthy: unhealthy.origin,
      deregistration: attrs.origin,
    },
  };
}

function isNlbService(svc: K8sObject): boolean {
  // The controller only provisions load balancers for Services of type LoadBalancer; on a ClusterIP/NodePort
  // Service these annotations (often rendered by a chart regardless of type) do nothing.
  if (get(svc.raw, 'spec', 'type') !== 'LoadBalancer') return false;
  const type = svc.annotations[`${NLB}aws-load-balancer-type`];
  return type === 'external' || type === 'nlb-ip' || get(svc.raw, 'spec', 'loadBalancerClass') === 'service.k8s.aws/nlb';
}

function nlbFor(svc: K8sObject): LoadBalancer {
  const pick = (key: string): { value: string | undefined; field: string } => {
    const full = `${NLB}aws-load-balancer-${key}`;
    const value = svc.annotations[full];
    return { value, field: `metadata.annotations["${full}"]${value === undefined ? ' (not set)' : ''}` };
  };
  const tt = pick('nlb-target-type');
  const type = svc.annotations[`${NLB}aws-load-balancer-type`];
  const proto = pick('healthcheck-protocol');
  const protocol = (proto.value ?? 'TCP').toUpperCase();
  const path = pick('healthcheck-path');
  const interval = pick('healthcheck-interval');
  const unhealthy = pick('healthcheck-unhealthy-threshold');
  const healthy = pick('healthcheck-healthy-threshold');
  const attrs = pick('target-group-attributes');
  const attributes = parseAttributes(attrs.value);
  const defaults = controllerDefaults('nlb');
  return {
    type: 'nlb',
    object: svc,
    service: svc,
    targetType: type === 'nlb-ip' || tt.value === 'ip' ? 'ip' : 'instance',
    healthCheck: {
      protocol,
      path: protocol === 'TCP' ? null : (path.value ?? '/'),
      intervalSeconds: int(interval.value, defaults.interval),
      unhealthyThreshold: int(unhealthy.value, defaults.unhealthy),
      healthyThreshold: int(healthy.value, defaults.healthy),
    },
    deregistrationDelaySeconds: deregistrationDelay(attributes),
    attributes,
    fields: {
      targetType: tt.field,
      path: path.field,
      protocol: proto.field,
      interval: interval.field,
      unhealthy: unhealthy.field,
      deregistration: attrs.field,
    },
    origins: { targetType: svc, path: svc, protocol: svc, interval: svc, unhealthy: svc, deregistration: svc },
  };
}

/** The ALBs (Ingresses of the workload's Services) and NLBs (Services of type LoadBalancer) in front of the pods. */
export function loadBalancersFor(services: readonly K8sObject[], ingresses: readonly K8sObject[]): LoadBalancer[] {
  const loadBalancers: LoadBalancer[] = [];
  for (const ing of ingresses) {
    if (!isAlbIngress(ing)) continue;
    for (const svc of services) if (ingressBackends(ing).includes(svc.name)) loadBalancers.push(albFor(ing, svc));
  }
  for (const svc of services) if (isNlbService(svc)) loadBalancers.push(nlbFor(svc));
  return loadBalancers;
}

/** `the ALB (Ingress api)` / `the NLB (Service api)`, as findings name a load balancer. */
export function describeLoadBalancer(lb: LoadBalancer): string {
  return lb.type === 'alb' ? `the ALB (Ingress ${lb.object.name})` : `the NLB (Service ${lb.object.name})`;
}
