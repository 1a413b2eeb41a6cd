/** The public shapes of core's configuration: what the user passes (`GateOptions`) and what the gate runs on. */
import type { Duration } from './duration.js';
import type { Logger } from './logger.js';

/** A minimal view of a prom-client `Registry` (prom-client is an optional peer dependency). */
export interface MetricsRegistry {
  registerMetric(metric: never): void;
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Register draingate's metrics here (default: a private registry served on the management port's `/metrics`). */
  registry?: MetricsRegistry;
  /** Metric name prefix. Default `draingate_`. */
  prefix?: string;
}

export interface LbHealthCheckOptions {
  /**
   * How to recognise the load balancer's health checks by `User-Agent` (a string matches as a prefix).
   * Env `DRAINGATE_LB_USER_AGENT`. Default `/^ELB-HealthChecker\//` (AWS ALB and NLB HTTP health checks send
   * `ELB-HealthChecker/2.0`).
   */
  userAgent?: RegExp | string;
  /** Only requests to these paths count as LB health checks. Default: any path. */
  paths?: readonly string[];
  /**
   * Failing answers each health-check source must have received since draining began before the LB is taken
   * to have marked the target unhealthy. Match the target group's `UnhealthyThresholdCount`.
   * Env `DRAINGATE_LB_UNHEALTHY_THRESHOLD`. Default 2 (the ALB and AWS Load Balancer Controller default).
   */
  unhealthyThreshold?: number;
  /**
   * After the last failing check that reaches the threshold, how long the LB gets to act on it (take the
   * target out of rotation on every node) before draining may end; shorter than `maxDelay`. Default `"1s"`.
   */
  margin?: Duration;
}

/** Endpoint paths: each starts with `/`, and all five differ. */
export interface EndpointPaths {
  /** Liveness probe (traffic and management port). Default `"/livez"`. */
  livez?: string;
  /** Readiness probe (traffic and management port). Default `"/readyz"`. */
  readyz?: string;
  /** Status JSON (management port only). Default `"/status"`. */
  status?: string;
  /** Prometheus metrics (management port only). Default `"/metrics"`. */
  metrics?: string;
  /** preStop hook that starts draining (management port only). Default `"/prestop"`. */
  prestop?: string;
}

/**
 * Options of {@link createGate}. Durations are strings with a unit (`"500ms"`, `"10s"`, `"1m"`).
 * Each option can also come from the environment (`DRAINGATE_*`); options win over the environment.
 */
export interface GateOptions {
  /** The pod's `terminationGracePeriodSeconds`. Env `DRAINGATE_GRACE_PERIOD`. Default `"30s"` (Kubernetes' default). */
  gracePeriod?: Duration;
  /** Draining never ends before this, whatever the evidence. Env `DRAINGATE_MIN_DELAY`. Default `"2s"`. */
  minDelay?: Duration;
  /** Draining always ends by this, evidence or not. Env `DRAINGATE_MAX_DELAY`. Default `"20s"`. */
  maxDelay?: Duration;
  /**
   * A fixed delay that counts as (weakest) evidence, as a `preStop: sleep` would. Must lie within
   * `[minDelay, maxDelay]`. Env `DRAINGATE_DELAY`. Default: none (maxDelay is the fallback).
   */
  delay?: Duration | null;
  /** How long in-flight requests may run once stopping begins. Env `DRAINGATE_DRAIN_TIMEOUT`. Default `"5s"`. */
  drainTimeout?: Duration;
  /** Time budget for all shutdown hooks together. Env `DRAINGATE_HOOKS_TIMEOUT`. Default `"3s"`. */
  hooksTimeout?: Duration;
  /** Silence that counts as evidence when traffic was steady before draining. Env `DRAINGATE_QUIET_PERIOD`. Default `"2s"`. */
  quietPeriod?: Duration;
  /**
   * The quiet period only counts if the request rate before draining predicted at least this many requests in
   * it (silence on a low-traffic service proves nothing). Env `DRAINGATE_QUIET_MIN_REQUESTS`. Default 10.
   */
  quietMinRequests?: number;
  /** LB health-check recognition. Env `DRAINGATE_LB_UNHEALTHY_THRESHOLD`, `DRAINGATE_LB_USER_AGENT`. */
  lbHealthCheck?: LbHealthCheckOptions;
  /**
   * The load balancer in front: `alb` (L7: each node routes every request, so a node's silence means it stopped
   * routing here), `nlb` (L4: a node routes connections, and clients keep theirs elsewhere, so silence proves
   * nothing; failing health checks count only after the NLB's reaction time), or `auto`: what the sidecar reports,
   * else `alb`. Env `DRAINGATE_LB_TYPE` (the sidecar reads the same variable). Default `"auto"`.
   */
  lbType?: 'auto' | 'alb' | 'nlb';
  /** Base URL of the draingate sidecar, e.g. `http://127.0.0.1:9901`. Env `DRAINGATE_SIDECAR_URL`. Default: none. */
  sidecarUrl?: string | null;
  /** How often the sidecar is polled while draining. Env `DRAINGATE_SIDECAR_POLL_INTERVAL`. Default `"500ms"`. */
  sidecarPollInterval?: Duration;
  /**
   * Port of the management listener serving `/livez`, `/readyz`, `/status`, `/metrics`, `/prestop`.
   * Env `DRAINGATE_MANAGEMENT_PORT`. Default: none (then `/status`, `/metrics`, `/prestop` are not served).
   */
  managementPort?: number | null;
  /** Host of the management listener. Env `DRAINGATE_MANAGEMENT_HOST`. Default: all interfaces (kubelet probes the pod IP). */
  managementHost?: string | null;
  /** Endpoint paths. */
  paths?: EndpointPaths;
  /** Become ready when an attached server starts listening. Default `false`: call `gate.ready()`. */
  readyOnListen?: boolean;
  /** Signals that start shutdown; a second one forces exit. Default `["SIGTERM", "SIGINT"]`; `false` for none. */
  signals?: readonly NodeJS.Signals[] | false;
  /**
   * Call `process.exit(code)` once stopped, when a signal or `/prestop` started the shutdown. Default `true`.
   * A shutdown the app started (`gate.shutdown()`) never exits the process: the caller gets the result.
   */
  exit?: boolean;
  /** A pino-compatible logger, or `false` for none. Default: one line per event on stderr. */
  logger?: Logger | false;
  /** prom-client metrics. Default: on if prom-client is installed; `false` to turn off. */
  metrics?: MetricsOptions | boolean;
  /** The environment to read `DRAINGATE_*` from. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface ResolvedPaths {
  livez: string;
  readyz: string;
  status: string;
  metrics: string;
  prestop: string;
}

/** Configuration after defaults, environment and validation; durations in milliseconds. */
export interface ResolvedConfig {
  gracePeriod: number;
  minDelay: number;
  maxDelay: number;
  delay: number | null;
  drainTimeout: number;
  hooksTimeout: number;
  quietPeriod: number;
  quietMinRequests: number;
  lbUserAgent: RegExp;
  lbPaths: readonly string[] | null;
  lbUnhealthyThreshold: number;
  lbMargin: number;
  lbType: 'auto' | 'alb' | 'nlb';
  sidecarUrl: string | null;
  sidecarPollInterval: number;
  managementPort: number | null;
  managementHost: string | null;
  paths: ResolvedPaths;
  readyOnListen: boolean;
  signals: readonly NodeJS.Signals[];
  exit: boolean;
  logger: Logger;
  metrics: MetricsOptions | false | 'auto';
}
