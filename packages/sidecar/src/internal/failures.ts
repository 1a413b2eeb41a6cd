import { HttpError } from './kubeclient.js';
import type { Logger } from './logger.js';
import { redact } from './secrets.js';

/** How a failed call to the API server or AWS is handled (README "Failure handling"). */
export type FailureKind =
  /** Connection refused/reset, timeout, 5xx: keep the last state, retry with jittered exponential backoff. */
  | 'unreachable'
  /** 429 / AWS Throttling: wait at least Retry-After (or the backoff). */
  | 'throttled'
  /** 403 / AccessDenied: log one clear error naming the permission; `/v1/prestop` uses the fixed delay. */
  | 'forbidden'
  /** 404 on the own pod: it is gone; stop writing. */
  | 'not-found'
  /** A pod with our name but another uid (422 on the uid precondition): stop writing. */
  | 'uid-mismatch'
  | 'other';

/**
 * A classified failure. Its message quotes what the API server or AWS answered, with every credential removed
 * (secrets.ts): it goes to the log, Events, the condition and `/v1/status`.
 */
export class Failure extends Error {
  override readonly name = 'Failure';
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** Milliseconds the server asked us to wait (Retry-After), if any. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(redact(message));
  }
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body.slice(0, 300);
    } catch {
      return body.slice(0, 300);
    }
  }
  if (body && typeof body === 'object') return (body as { message?: string }).message;
  return undefined;
}

function causesOf(body: unknown): { field?: string }[] {
  try {
    const b = (typeof body === 'string' ? JSON.parse(body) : body) as { details?: { causes?: { field?: string }[] } };
    return b?.details?.causes ?? [];
  } catch {
    return [];
  }
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | undefined | null, now: number = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * Classifies an error from the Kubernetes API client. `permission` names what the call needed, for the 403 message,
 * e.g. `patch pods/status`.
 */
export function kubeFailure(e: unknown, permission: string, namespace: string): Failure {
  if (e instanceof Failure) return e;
  if (e instanceof HttpError) {
    const msg = statusMessage(e.body) ?? e.message.split('\n')[0];
    const headers = (e.headers ?? {}) as Record<string, string>;
    const retryAfter = parseRetryAfter(headers['retry-after'] ?? headers['Retry-After']);
    switch (e.code) {
      case 403: {
        const [verb, resource] = permission.split(' ');
        return new Failure(
          'forbidden',
          `the API server refused "${permission}" in namespace ${namespace} (403: ${msg}). Grant verb "${verb}" on "${resource}" to the pod's ServiceAccount (packages/sidecar/deploy/rbac.yaml).`,
        );
      }
      case 404:
        return new Failure('not-found', `${permission}: not found (404: ${msg})`);
      case 422:
        if (causesOf(e.body).some((c) => c.field === 'metadata.uid')) {
          return new Failure(
            'uid-mismatch',
            `${permission}: the pod was replaced by another with the same name (uid precondition failed: 422 ${msg})`,
          );
        }
        return new Failure('other', `${permission}: 422 ${msg}`);
      case 429:
        return new Failure('throttled', `${permission}: throttled by the API server (429: ${msg})`, retryAfter);
      case 401:
        return new Failure('other', `${permission}: 401 Unauthorized (${msg}): the service-account token was rejected`);
      default:
        if (e.code >= 500) return new Failure('unreachable', `${permission}: API server error ${e.code}: ${msg}`, retryAfter);
        return new Failure('other', `${permission}: HTTP ${e.code}: ${msg}`);
    }
  }
  const err = e as { code?: string; message?: string; type?: string };
  return new Failure(
    'unreachable',
    `${permission}: API server unreachable (${err.code ?? err.type ?? 'error'}: ${err.message ?? String(e)})`,
  );
}

/** Classifies an error from the AWS SDK. `action` is the IAM action, e.g. `elasticloadbalancing:DescribeTargetHealth`. */
export function awsFailure(e: unknown, action: string): Failure {
  if (e instanceof Failure) return e;
  const err = e as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $response?: { headers?: Record<string, string> };
  };
  const status = err.$metadata?.httpStatusCode;
  const name = err.name ?? 'Error';
  if (name === 'Throttling' || name === 'ThrottlingException' || name === 'RequestLimitExceeded' || status === 429) {
    const headers = err.$response?.headers ?? {};
    return new Failure('throttled', `${action}: throttled by AWS (${name}: ${err.message})`, parseRetryAfter(headers['retry-after']));
  }
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'UnauthorizedOperation' || status === 403) {
    return new Failure(
      'forbidden',
      `${action} was denied (${name}: ${err.message}). Allow the IAM action "${action}" for the pod's role (IRSA / EKS Pod Identity), see the sidecar README "IAM".`,
    );
  }
  if (status === undefined || status >= 500)
    return new Failure('unreachable', `${action}: AWS unreachable (${name}: ${err.message ?? String(e)})`);
  return new Failure('other', `${action}: ${name}: ${err.message}`);
}

/** Jittered exponential backoff: base × 2^n, capped, times a random factor in [0.5, 1]; never below Retry-After. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs: number = 500,
    private readonly maxMs: number = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(retryAfterMs: number | null = null): number {
    const exp = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const jittered = Math.round(exp * (0.5 + 0.5 * this.random()));
    return retryAfterMs === null ? jittered : Math.max(retryAfterMs, jittered);
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** `ms` ± 20 %. */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.8 + 0.4 * random()));
}

/** The last failure, as `/v1/status` shows it (`lastError`); logged once per distinct problem, not once per retry. */
export class ErrorReport {
  last: { message: string; at: string } | null = null;
  #logged = '';
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  record(f: { kind: FailureKind; message: string }): void {
    this.last = { message: f.message, at: new Date().toISOString() };
    if (f.message === this.#logged) return;
    this.#logged = f.message;
    if (f.kind === 'forbidden') this.#log.error(f.message);
    else this.#log.warn({ kind: f.kind }, f.message);
  }
}
