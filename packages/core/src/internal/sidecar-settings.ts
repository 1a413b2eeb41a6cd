/**
 * The draingate sidecar's settings as pure data: flag, environment variable, kind, default, allowed values and
 * meaning. The sidecar parses them (packages/sidecar/src/internal/config.ts) and generates its README table and
 * `--help` from them; doctor reads flags, environment variables and defaults from them to check a pod's sidecar
 * container without depending on the sidecar package (and its AWS SDK and Kubernetes client). Core hosts the table
 * next to the rest of the sidecar's contract (sidecar-contract.ts) because both of them depend on core.
 */

/** How the sidecar parses a setting's value. */
export type SidecarSettingKind = 'string' | 'list' | 'duration' | 'optional-duration' | 'port' | 'integer' | 'enum';

/** One setting of the sidecar: its flag, its environment variable, its default. */
export interface SidecarSettingSpec {
  /** The flag without its dashes: `listen` for `--listen`. */
  readonly flag: string;
  readonly env: string;
  readonly kind: SidecarSettingKind;
  /** The default as written on the command line (durations with their unit, as core parses them); `null`: none. */
  readonly default: string | null;
  /** The accepted values of an `enum` setting. */
  readonly values?: readonly string[];
  readonly doc: string;
}

const ROWS: readonly SidecarSettingSpec[] = [
  {
    flag: 'source',
    env: 'DRAINGATE_SOURCE',
    kind: 'enum',
    values: ['aws', 'app', 'albc'],
    default: null,
    doc: 'where target health comes from (required)',
  },
  {
    flag: 'condition-type',
    env: 'DRAINGATE_CONDITION_TYPE',
    kind: 'string',
    default: 'draingate.io/lb-ready',
    doc: "the readiness gate's condition type",
  },
  { flag: 'listen', env: 'DRAINGATE_LISTEN', kind: 'string', default: '127.0.0.1:9901', doc: 'host:port of the localhost API' },
  {
    flag: 'kubeconfig',
    env: 'KUBECONFIG',
    kind: 'string',
    default: null,
    doc: 'kubeconfig file for local runs; unset: in-cluster service account',
  },
  { flag: 'pod-name', env: 'POD_NAME', kind: 'string', default: null, doc: 'downward API `metadata.name` (required)' },
  { flag: 'pod-namespace', env: 'POD_NAMESPACE', kind: 'string', default: null, doc: 'downward API `metadata.namespace` (required)' },
  {
    flag: 'pod-uid',
    env: 'POD_UID',
    kind: 'string',
    default: null,
    doc: 'downward API `metadata.uid` (required): the patch precondition',
  },
  { flag: 'pod-ip', env: 'POD_IP', kind: 'string', default: null, doc: 'downward API `status.podIP` (required for `aws` in ip mode)' },
  {
    flag: 'node-name',
    env: 'NODE_NAME',
    kind: 'string',
    default: null,
    doc: 'downward API `spec.nodeName` (events; `aws` instance mode)',
  },
  {
    flag: 'poll-interval',
    env: 'DRAINGATE_POLL_INTERVAL',
    kind: 'duration',
    default: '5s',
    doc: 'source poll interval while starting and draining (±20 % jitter)',
  },
  {
    flag: 'lb-type',
    env: 'DRAINGATE_LB_TYPE',
    kind: 'enum',
    values: ['auto', 'alb', 'nlb'],
    default: 'auto',
    doc: "`aws`: the load balancer type, for its propagation bound; `auto`: from the target groups' protocol (DescribeTargetGroups)",
  },
  {
    flag: 'propagation-bound',
    env: 'DRAINGATE_PROPAGATION_BOUND',
    kind: 'optional-duration',
    default: null,
    doc: "how long LB nodes may still route here after the API shows every target draining; unset: the LB type's (ALB 30s, NLB 150s)",
  },
  {
    flag: 'fallback-delay',
    env: 'DRAINGATE_FALLBACK_DELAY',
    kind: 'duration',
    default: '30s',
    doc: '`/v1/prestop` fixed wait when no evidence is available',
  },
  {
    flag: 'app-drain-budget',
    env: 'DRAINGATE_APP_DRAIN_BUDGET',
    kind: 'duration',
    default: '10s',
    doc: 'time the app needs after preStop: `/v1/prestop` answers by the deletion deadline minus this',
  },
  {
    flag: 'fail-open-after',
    env: 'DRAINGATE_FAIL_OPEN_AFTER',
    kind: 'optional-duration',
    default: null,
    doc: 'set the gate True anyway after this long (off by default; logged as a warning and an event)',
  },
  { flag: 'region', env: 'AWS_REGION', kind: 'string', default: null, doc: '`aws`: region (required for `aws`)' },
  {
    flag: 'aws-endpoint',
    env: 'DRAINGATE_AWS_ENDPOINT',
    kind: 'string',
    default: null,
    doc: '`aws`: ELBv2 endpoint URL override (VPC endpoints, tests)',
  },
  {
    flag: 'target-group-arn',
    env: 'DRAINGATE_TARGET_GROUP_ARNS',
    kind: 'list',
    default: null,
    doc: '`aws`: target group ARNs (flag repeatable; env comma-separated); unset: from TargetGroupBindings',
  },
  {
    flag: 'target-type',
    env: 'DRAINGATE_TARGET_TYPE',
    kind: 'enum',
    values: ['ip', 'instance'],
    default: 'ip',
    doc: '`aws`: ip (podIP:port) or instance (instance id:NodePort)',
  },
  {
    flag: 'target-port',
    env: 'DRAINGATE_TARGET_PORT',
    kind: 'port',
    default: null,
    doc: '`aws`: container port (ip) or NodePort (instance); unset: from the Service of the TargetGroupBinding',
  },
  {
    flag: 'instance-id',
    env: 'DRAINGATE_INSTANCE_ID',
    kind: 'string',
    default: null,
    doc: "`aws` instance mode: the node's EC2 instance id; unset: from the Node's `spec.providerID`",
  },
  {
    flag: 'app-status-url',
    env: 'DRAINGATE_APP_STATUS_URL',
    kind: 'string',
    default: null,
    doc: "`app`: URL of core's management `/status` (required for `app`)",
  },
  {
    flag: 'healthy-threshold',
    env: 'DRAINGATE_HEALTHY_THRESHOLD',
    kind: 'integer',
    default: '5',
    doc: "`app`: the target group's HealthyThresholdCount",
  },
];

/** Every setting the sidecar reads, in the order of its README table and `--help` (frozen: several packages read it). */
export const SIDECAR_SETTINGS: readonly SidecarSettingSpec[] = Object.freeze(
  ROWS.map((s) => Object.freeze(s.values ? { ...s, values: Object.freeze([...s.values]) } : { ...s })),
);
