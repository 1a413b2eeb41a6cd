import type { SidecarEvidence } from './evidence.js';
import type { Logger } from './logger.js';
import { redactSecrets } from './redact.js';
import { checkSidecarStatus, type SidecarStatus } from './sidecar-contract.js';
import type { StatusReport } from './types.js';
import { monotonicNow } from './util.js';

/**
 * Reads the sidecar's `GET <url>/v1/status` (docs/sidecar-contract.md) and keeps the last answer. It never
 * rejects: errors are logged when they change and shown on `/status`; the last good answer is kept.
 */
export class SidecarClient {
  readonly url: string;
  readonly #timeout: number;
  readonly #logger: Logger;
  /** `fetchedAt`: epoch ms of the last good answer (shown on `/status`; the drain watch compares it with its start). */
  #last: { status: SidecarStatus | null; error: string | null; fetchedAt: number } = { status: null, error: null, fetchedAt: 0 };
  /** The same moment on the monotonic clock, for the staleness of `/status` (0: never). */
  #fetchedAtMs = 0;
  #inflight: Promise<void> | null = null;

  constructor(url: string, pollInterval: number, logger: Logger) {
    this.url = url;
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
            lbType: d.lbType,
            propagationBoundMs: d.propagationBoundMs,
          }
        : null,
    };
  }

  /** Fetches now, or joins the fetch in flight. */
  fetch(): Promise<void> {
    if (!this.#inflight) {
      const url = this.url;
      const shown = redactSecrets(url);
      this.#inflight = (async () => {
        try {
          const status = await this.#get(url);
          if (this.#last.error) this.#logger.info({ url: shown }, 'sidecar reachable again');
          this.#last = { status, error: null, fetchedAt: monotonicNow() };
          this.#fetchedAtMs = monotonicNow();
        } catch (error) {
          // The message may carry the answer's text or the URL: nothing of either that looks like a credential.
          const message = redactSecrets((error as Error)?.message ?? String(error));
          if (this.#last.error !== message) this.#logger.warn({ url: shown, error: message }, 'sidecar status unavailable');
          this.#last = { status: this.#last.status, error: message, fetchedAt: this.#last.fetchedAt };
        } finally {
          this.#inflight = null;
        }
      })();
    }
    return this.#inflight;
  }

  /** One `GET <url>/v1/status`: the answer if it is a status core understands, else an error that says why. */
  async #get(url: string): Promise<SidecarStatus> {
    let res: Response;
    try {
      res = await fetch(`${url}/v1/status`, { signal: AbortSignal.timeout(this.#timeout) });
    } catch (error) {
      if ((error as Error)?.name === 'TimeoutError') throw new Error(`no answer within ${this.#timeout}ms`);
      // fetch says "fetch failed"; why is in its cause: ECONNREFUSED, ENOTFOUND, "bad port", ...
      const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
      const why = cause?.code ?? cause?.message;
      throw new Error(why ? `unreachable (${why})` : ((error as Error)?.message ?? String(error)));
    }
    const text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(
        `the answer is not JSON (${Buffer.byteLength(text)} bytes, content-type ${res.headers.get('content-type') ?? 'none'})`,
      );
    }
    const problem = checkSidecarStatus(body);
    if (problem) throw new Error(`invalid sidecar status: ${problem}`);
    return body as SidecarStatus;
  }

  /** Fetches when the last answer is more than a second old (for `/status`). */
  async fetchIfStale(): Promise<void> {
    if (monotonicNow() - this.#fetchedAtMs > 1000) await this.fetch();
  }

  /** The `sidecar` part of `/status`. */
  report(): NonNullable<StatusReport['sidecar']> {
    const last = this.#last;
    return {
      url: redactSecrets(this.url),
      last: last.status,
      error: last.error,
      fetchedAt: last.fetchedAt ? new Date(last.fetchedAt).toISOString() : null,
    };
  }
}
