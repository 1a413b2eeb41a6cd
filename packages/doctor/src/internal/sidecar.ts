/**
 * The draingate sidecar as doctor sees it: which container it is and the settings it was given. Flags,
 * environment variables and defaults come from the sidecar's own settings table, which core hosts
 * (`SIDECAR_SETTINGS`, the table the sidecar parses), never from a copy: doctor does not depend on the sidecar
 * package, which would pull the AWS SDK and a Kubernetes client into a manifest checker.
 */
import { parseDuration, SIDECAR_SETTINGS, type SidecarSettingSpec } from '@draingate/core/internal';
import { str } from './objects.js';
import { type ContainerInfo, envOf } from './pod.js';

function setting(flag: string): SidecarSettingSpec {
  const s = SIDECAR_SETTINGS.find((x) => x.flag === flag);
  if (!s) throw new Error(`doctor: the sidecar's settings have no --${flag}`);
  return s;
}

function defaultOf(flag: string): string {
  const value = setting(flag).default;
  if (value === null) throw new Error(`doctor: the sidecar's --${flag} has no default`);
  return value;
}

/** Each setting's environment variable, by flag (`listen` → `DRAINGATE_LISTEN`). */
export const SIDECAR_ENV: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(SIDECAR_SETTINGS.map((s) => [s.flag, s.env])),
);

/** The sidecar's defaults that doctor's rules use (durations in milliseconds, parsed by core as the sidecar does). */
export const SIDECAR_DEFAULTS: {
  readonly conditionType: string;
  readonly listen: string;
  readonly targetType: string;
  readonly healthyThreshold: number;
  readonly appDrainBudget: number;
} = Object.freeze({
  conditionType: defaultOf('condition-type'),
  listen: defaultOf('listen'),
  targetType: defaultOf('target-type'),
  healthyThreshold: Number(defaultOf('healthy-threshold')),
  appDrainBudget: parseDuration(defaultOf('app-drain-budget'), 'app-drain-budget'),
});

/** The readiness gate the sidecar writes unless told otherwise (`--condition-type`). */
export const SIDECAR_GATE: string = SIDECAR_DEFAULTS.conditionType;

/** The values `--source` accepts. */
export const SIDECAR_SOURCES: readonly string[] = setting('source').values ?? [];

/** The draingate sidecar, if the pod runs one, with the settings it reads (flags win over env, as in the sidecar). */
export interface SidecarInfo {
  readonly container: ContainerInfo;
  /** `--source` / `DRAINGATE_SOURCE` (required by the sidecar: no default); `null` when not set. */
  readonly source: string | null;
  /** `--condition-type` / `DRAINGATE_CONDITION_TYPE`, default {@link SIDECAR_GATE}. */
  readonly conditionType: string;
  /** Port of `--listen` / `DRAINGATE_LISTEN` (default from the sidecar's settings). */
  readonly listenPort: number | null;
  /** Every setting given, flag → value (`(from valueFrom)` when doctor cannot see it). */
  readonly values: Readonly<Record<string, string>>;
  /** Where each setting came from: `--flag` or the environment variable. */
  readonly from: Readonly<Record<string, string>>;
  /** A native sidecar: an init container with `restartPolicy: Always`. */
  readonly native: boolean;
}

function words(c: ContainerInfo): string[] {
  return [...(Array.isArray(c.spec.command) ? c.spec.command : []), ...(Array.isArray(c.spec.args) ? c.spec.args : [])].map(String);
}

/** The container named `draingate-sidecar`, or whose image or command says so. */
export function isSidecarContainer(c: ContainerInfo): boolean {
  const image = str(c.spec.image) ?? '';
  return (
    c.name === 'draingate-sidecar' ||
    /draingate\/sidecar|draingate-sidecar/.test(image) ||
    words(c).some((w) => /draingate-sidecar/.test(w))
  );
}

/** The sidecar's settings as `{ flag: value }`, from `--flag value` / `--flag=value` arguments, else its env. */
function sidecarSettings(c: ContainerInfo): { values: Record<string, string>; from: Record<string, string> } {
  const args = words(c);
  const values: Record<string, string> = {};
  const from: Record<string, string> = {};
  for (const [i, a] of args.entries()) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const flag = m[1] as string;
    const value = m[2] ?? args[i + 1];
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) continue;
    values[flag] = value;
    from[flag] = `--${flag}`;
  }
  const { env, unresolved } = envOf(c.spec);
  for (const [flag, name] of Object.entries(SIDECAR_ENV)) {
    if (flag in values) continue;
    if (env[name] !== undefined) {
      values[flag] = env[name] as string;
      from[flag] = name;
    } else if (unresolved.includes(name)) {
      values[flag] = '(from valueFrom)';
      from[flag] = name;
    }
  }
  return { values, from };
}

/** What the sidecar container was given. */
export function sidecarInfo(c: ContainerInfo): SidecarInfo {
  const { values, from } = sidecarSettings(c);
  const listen = /:(\d+)$/.exec(values.listen ?? SIDECAR_DEFAULTS.listen);
  return {
    container: c,
    source: values.source ?? null,
    conditionType: values['condition-type'] ?? SIDECAR_GATE,
    listenPort: listen ? Number(listen[1]) : null,
    values,
    from,
    native: c.init && c.spec.restartPolicy === 'Always',
  };
}

/** The field a sidecar setting was given in: the container's args, or its env entry. */
export function settingField(sc: SidecarInfo, flag: string): string {
  return sc.from[flag]?.startsWith('--') ? `${sc.container.path}.args` : `${sc.container.path}.env[name=${SIDECAR_ENV[flag] ?? flag}]`;
}

/** `a, b or c`. */
export function orList(values: readonly string[]): string {
  return values.length <= 1 ? (values[0] ?? '') : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}
