/**
 * Faults in shutdown hooks: one that hangs without a timeout of its own, one that throws. No hook may starve the
 * others: every hook starts, each within its share of `hooksTimeout`, and the one that failed is reported with its
 * name and how long it ran.
 */

import type { Started } from '@draingate/testkit/conformance';
import { sleep } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';
import { DraingateConfigError, type Logger } from '../../src/index.js';
import { nodeHttp } from '../helpers/servers.js';

let started: Started | null = null;
afterEach(async () => {
  await started?.cleanup();
  started = null;
});

/** A logger that keeps every line. */
function memoryLogger(): Logger & { lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (fields: object, message = '') =>
      lines.push({ level, message, fields: fields as Record<string, unknown> });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const FAST = { minDelay: '50ms', maxDelay: '100ms' } as const;

describe('fault: a shutdown hook hangs (no timeout of its own)', () => {
  it('three hooks, the middle one hangs: the third still runs, within hooksTimeout', async () => {
    const logger = memoryLogger();
    started = await nodeHttp.start({ ...FAST, hooksTimeout: '900ms', logger });
    const { gate } = started;
    const ran: { name: string; at: number }[] = [];
    // Hooks run in reverse order of registration: "telemetry" first, "queue" (hangs), then "db-pool".
    gate.addShutdownHook('db-pool', () => {
      ran.push({ name: 'db-pool', at: performance.now() });
    });
    gate.addShutdownHook('queue', () => new Promise(() => {}));
    gate.addShutdownHook('telemetry', () => {
      ran.push({ name: 'telemetry', at: performance.now() });
    });
    const result = await gate.shutdown();
    expect(ran.map((r) => r.name)).toEqual(['telemetry', 'db-pool']);
    expect(result.failedHooks).toEqual(['queue']);
    expect(result.exitCode).toBe(1);
    // The hung hook got its share (900ms / 3 hooks, plus what "telemetry" left unused), not the whole budget.
    const hooksMs = gate.status().phaseDurationsMs.hooks as number;
    expect(hooksMs).toBeGreaterThanOrEqual(550);
    expect(hooksMs).toBeLessThan(900 + 150);
    const timedOut = logger.lines.find((l) => l.level === 'error' && l.fields.hook === 'queue');
    expect(timedOut?.message).toMatch(/^shutdown hook "queue" timed out after \d+ms \(its share of hooksTimeout 900ms\)$/);
    expect(timedOut?.fields.durationMs).toBeGreaterThanOrEqual(550);
  });

  it('a hung hook with its own timeout keeps to it; the hooks after it share the rest', async () => {
    started = await nodeHttp.start({ ...FAST, hooksTimeout: '1s' });
    const { gate } = started;
    const ran: string[] = [];
    gate.addShutdownHook('last', () => {
      ran.push('last');
    });
    // Shares of 1s: "hangs" 400ms (its own), "slow-but-fine" and "last" 300ms each.
    gate.addShutdownHook('slow-but-fine', async () => {
      await sleep(200);
      ran.push('slow-but-fine');
    });
    gate.addShutdownHook('hangs', () => new Promise(() => {}), { timeout: '400ms' });
    const result = await gate.shutdown();
    expect(result.failedHooks).toEqual(['hangs']);
    expect(ran).toEqual(['slow-but-fine', 'last']);
  });

  it('own timeouts that leave no time for the other hooks fail at registration, naming them', async () => {
    started = await nodeHttp.start({ ...FAST, hooksTimeout: '1s' });
    const { gate } = started;
    gate.addShutdownHook('close-server-pool', () => {});
    expect(() => gate.addShutdownHook('db', () => {}, { timeout: '1s' })).toThrow(DraingateConfigError);
    expect(() => gate.addShutdownHook('db', () => {}, { timeout: '1s' })).toThrow(
      'draingate: shutdown hook "db" has timeout 1s: with the other hooks\' own timeouts that is 1s of hooksTimeout 1s, which leaves no time for "close-server-pool" (no timeout of its own): lower the timeouts or raise hooksTimeout (DRAINGATE_HOOKS_TIMEOUT) and the grace period with it.',
    );
    gate.addShutdownHook('cache', () => {}, { timeout: '600ms' });
    expect(() => gate.addShutdownHook('queue', () => {}, { timeout: '500ms' })).toThrow(/own timeouts.* 1\.1s of hooksTimeout 1s/);
  });
});

describe('fault: a shutdown hook throws', () => {
  it('is reported with its name, error and duration; the next hook starts at once', async () => {
    const logger = memoryLogger();
    started = await nodeHttp.start({ ...FAST, hooksTimeout: '1s', logger });
    const { gate } = started;
    const ran: string[] = [];
    gate.addShutdownHook('after', () => {
      ran.push('after');
    });
    gate.addShutdownHook('throws', async () => {
      await sleep(20);
      throw new Error('broker connection refused');
    });
    const result = await gate.shutdown();
    expect(ran).toEqual(['after']);
    expect(result.failedHooks).toEqual(['throws']);
    const line = logger.lines.find((l) => l.level === 'error' && l.fields.hook === 'throws');
    expect(line?.message).toMatch(/^shutdown hook "throws" failed after \d+ms: broker connection refused$/);
    expect(line?.fields.durationMs).toBeGreaterThanOrEqual(15);
    expect(gate.status().phaseDurationsMs.hooks as number).toBeLessThan(500);
  });
});
