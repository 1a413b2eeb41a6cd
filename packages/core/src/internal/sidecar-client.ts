import type { SidecarEvidence } from './evidence.js';
import type { Logger } from './logger.js';
import { checkSidecarStatus, type SidecarStatus } from './sidecar-contract.js';
import type { StatusReport } from './types.js';

/**
 * Where the contract's body is: a base URL (the sidecar, `http://127.0.0.1:9901`) gets `/v1/status` appended; a URL
 * whose path ends in `/status` is the body's own address, used as is (the controller serves one per pod:
 * `http://draingate-controller.draingate-system:9901/v1/pods/<namespace>/<pod>/status`).
 */
export function sidecarStatusUrl(url: string): string {
  return /\/status$/.test(new URL(url).pathname) ? url : `${url}/v1/status`;
}

/**
 * Reads the sidecar's (or the controller's) status body (docs/sidecar-contract.md) and keeps the last answer. It
 * never rejects: errors are logged when they change and shown on `/status`; the last good answer is kept.
 */
export class SidecarClient {
  readonly url: string;
  readonly #statusUrl: string;
  readonly #timeout: number;
  readonly #logger: Logger;
  #last: { status: SidecarStatus | null; error: string | null; fetchedAt: number } = { status: null, error: null, fetchedAt: 0 };
  #inflight: Promise<void> | null = null;

  constructor(url: string, pollInterval: number, logger: Logger) {
    this.url = url;
    this.#statusUrl = sidecarStatusUrl(url);
    this.#timeout = Math.min(1000, Math.max(200, pollInterval * 2));
    this.#logger = logger;
  }

  /**
   * What the last answer says about deregistration, when it was fetched at or after `since` (epoch ms: draining's
   * start; an earlier answer says nothing about this drain), else `null`.
   */
  evidenceSince(since: number): SidecarEvidence | null {
    const st = this.#last.status;
    if (!st || this.#last.fetchedAt < since) return null;
    const d = st.deregistration;
    return {
      deregistered: st.deregistered === true,
      deregistration: d
        ? {
            observable: d.observable,
            startedAt: d.startedAt === null ? null : Date.parse(d.startedAt),
            propagationBoundMs: d.propagationBoundMs,
          }
        : null,
    };
  }

  /** Fetches now, or joins the fetch in flight. */
  fetch(): Promise<void> {
    if (!this.#inflight) {
      const url = this.url;
      const statusUrl = this.#statusUrl;
      this.#inflight = (async () => {
        try {
          const res = await fetch(statusUrl, { signal: AbortSignal.timeout(this.#timeout) });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          const body: unknown = await res.json();
          const problem = checkSidecarStatus(body);
          if (problem) throw new Error(`invalid sidecar status: ${problem}`);
          if (this.#last.error) this.#logger.info({ url }, 'sidecar reachable again');
          this.#last = { status: body as SidecarStatus, error: null, fetchedAt: Date.now() };
        } catch (error) {
          const message = (error as Error).message ?? String(error);
          if (this.#last.error !== message) this.#logger.warn({ url, error: message }, 'sidecar status unavailable');
          this.#last = { status: this.#last.status, error: message, fetchedAt: this.#last.fetchedAt };
        } finally {
          this.#inflight = null;
        }
      })();
    }
    return this.#inflight;
  }

  /** Fetches when the last answer is more than a second old (for `/status`). */
  async fetchIfStale(): Promise<void> {
    if (Date.now() - this.#last.fetchedAt > 1000) await this.fetch();
  }

  /** The `sidecar` part of `/status`. */
  report(): NonNullable<StatusReport['sidecar']> {
    const last = this.#last;
    return {
      url: this.url,
      last: last.status,
      error: last.error,
      fetchedAt: last.fetchedAt ? new Date(last.fetchedAt).toISOString() : null,
    };
  }
}
