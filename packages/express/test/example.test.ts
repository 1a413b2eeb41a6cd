/**
 * examples/express/server.mjs under SIGTERM behaves like examples/node-http/server.mjs: the acceptance scenario
 * of core's signals test, run against both, with the same bounds and the same observable outcome.
 */
import { fileURLToPath } from 'node:url';
import { type ExampleOutcome, exampleOutcome } from '@draingate/testkit/conformance';
import { type Forked, runToExit } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';

const examples = {
  express: fileURLToPath(new URL('../../../examples/express/server.mjs', import.meta.url)),
  'node-http': fileURLToPath(new URL('../../../examples/node-http/server.mjs', import.meta.url)),
};
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

/** The acceptance scenario (core's signals.test.ts), asserting its bounds; returns what clients and stdout saw. */
async function scenario(script: string): Promise<ExampleOutcome> {
  const { f: _f, inflightAt: _at, ...outcome } = await exampleOutcome(script, { onFork: (f) => children.push(f) });
  return outcome;
}

describe('examples/express under SIGTERM (the acceptance scenario)', () => {
  it('503 at once, 200 + Connection: close until draining ends, in-flight completes, exit 0 within maxDelay + 2s: like examples/node-http', async () => {
    const express = await scenario(examples.express);
    expect(express).toEqual({
      routes: { root: { status: 200, keys: ['hello', 'pid'] }, missing: { status: 404, body: { error: 'not found' } } },
      lines: { listening: ['event', 'pid', 'port'], state: ['at', 'event', 'from', 'reason', 'to'] },
      states: ['starting->ready', 'ready->draining', 'draining->stopping', 'stopping->stopped'],
      eventKinds: ['listening', 'state', 'state', 'state', 'hooks', 'state'],
      drainingStatuses: [200],
      drainingAllClose: true,
      inflight: { status: 200, body: { worked: 1500 } },
      exitCode: 0,
    });
    expect(await scenario(examples['node-http'])).toEqual(express);
  });

  it('fails at start-up on invalid configuration, with the same message as examples/node-http', async () => {
    const env = { PORT: '0', DRAINGATE_MAX_DELAY: '20' };
    const express = await runToExit(examples.express, env);
    const node = await runToExit(examples['node-http'], env);
    const message = /DRAINGATE_MAX_DELAY has the invalid duration "20" \(a bare number has no unit\)/;
    expect(express.code).not.toBe(0);
    expect(express.code).toBe(node.code);
    expect(express.stderr).toMatch(message);
    expect(node.stderr).toMatch(message);
  });
});
