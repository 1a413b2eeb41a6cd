/**
 * Faults at start-up of the three examples, as a user meets them: a configuration error, and a management port
 * another process holds. Each example prints the error's one line (no stack, no source echo) and exits 2.
 */
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { runToExit } from '@draingate/testkit/http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const example = (name: string): string => fileURLToPath(new URL(`../../../../examples/${name}/server.mjs`, import.meta.url));
const EXAMPLES = ['node-http', 'express', 'fastify'] as const;

let holder: net.Server;
let taken: number;
beforeAll(async () => {
  holder = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  taken = (holder.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => holder.close(() => r())));

/** stderr's lines, without empty ones. */
const linesOf = (stderr: string): string[] => stderr.split('\n').filter((l) => l.trim() !== '');

describe.each(EXAMPLES)('examples/%s', (name) => {
  it('a configuration error: one line naming the variable, exit 2', async () => {
    const { code, stderr } = await runToExit(example(name), { PORT: '0', DRAINGATE_MAX_DELAY: '20' });
    expect(code).toBe(2);
    const lines = linesOf(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^draingate: DRAINGATE_MAX_DELAY has the invalid duration "20" \(a bare number has no unit\)/);
  });

  it('a relation between settings from the environment: one line naming both variables, exit 2', async () => {
    const { code, stderr } = await runToExit(example(name), { PORT: '0', DRAINGATE_MIN_DELAY: '10s', DRAINGATE_MAX_DELAY: '5s' });
    expect(code).toBe(2);
    const lines = linesOf(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^draingate: DRAINGATE_MIN_DELAY \(10s\) is greater than DRAINGATE_MAX_DELAY \(5s\)/);
  });

  it('the management port is in use: one line naming DRAINGATE_MANAGEMENT_PORT, exit 2', async () => {
    const { code, stderr } = await runToExit(example(name), {
      PORT: '0',
      DRAINGATE_MANAGEMENT_PORT: String(taken),
      DRAINGATE_MANAGEMENT_HOST: '127.0.0.1',
    });
    expect(code).toBe(2);
    const lines = linesOf(stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^draingate: DRAINGATE_MANAGEMENT_PORT \\(${taken}\\): the management listener cannot listen .*EADDRINUSE`),
    );
  });
});
