/**
 * examples/nestjs/server.mjs under SIGTERM, on Express and on Fastify, behaves like examples/node-http/server.mjs: the
 * acceptance scenario of core's signals test (the same as examples/express's test), with the same bounds and the same
 * observable outcome; and Nest's onModuleDestroy/onApplicationShutdown run after the in-flight request completed.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ExampleOutcome, exampleOutcome } from '@draingate/testkit/conformance';
import { type Forked, runToExit } from '@draingate/testkit/http';
import { afterEach, describe, expect, it } from 'vitest';

const examples = {
  nestjs: fileURLToPath(new URL('../../../examples/nestjs/server.mjs', import.meta.url)),
  'node-http': fileURLToPath(new URL('../../../examples/node-http/server.mjs', import.meta.url)),
};
// The same example file on Nest 10: a copy inside test/nest10's node_modules resolves @nestjs/* to 10 (and is ignored
// by git and the linter).
const nest10Dir = new URL('./nest10/node_modules/.example/', import.meta.url);
mkdirSync(nest10Dir, { recursive: true });
const nest10Example = fileURLToPath(new URL('server.mjs', nest10Dir));
copyFileSync(examples.nestjs, nest10Example);

// Nest starts in ~1 s; on the shared 2-core machine under load it has taken more than fork()'s default 10 s.
const START_TIMEOUT = 30_000;
const children: Forked[] = [];
afterEach(() => {
  for (const f of children.splice(0)) if (f.child.exitCode === null) f.child.kill('SIGKILL');
});

type Outcome = ExampleOutcome & { inflightAt: number; f: Forked };

/** The acceptance scenario (core's signals.test.ts), asserting its bounds; returns what clients and stdout saw. */
function scenario(script: string, env: Record<string, string> = {}): Promise<Outcome> {
  return exampleOutcome(script, { env, startTimeoutMs: START_TIMEOUT, onFork: (f) => children.push(f) });
}

describe('examples/nestjs under SIGTERM (the acceptance scenario)', () => {
  // examples/node-http's outcome, the reference every run must equal: measured once, by the first test that needs it.
  let reference: Promise<Omit<Outcome, 'f' | 'inflightAt'>> | null = null;
  const nodeOutcome = () => {
    reference ??= scenario(examples['node-http']).then(({ f: _f, inflightAt: _at, ...outcome }) => outcome);
    return reference;
  };
  const runs = [
    { name: 'Nest 11 on express', script: examples.nestjs, platform: 'express' },
    { name: 'Nest 11 on fastify', script: examples.nestjs, platform: 'fastify' },
    { name: 'Nest 10 on express', script: nest10Example, platform: 'express' },
    { name: 'Nest 10 on fastify', script: nest10Example, platform: 'fastify' },
  ];
  for (const { name, script, platform } of runs) {
    it(`${name}: 503 at once, 200 + Connection: close until draining ends, in-flight completes, Nest's hooks after it, exit 0 within maxDelay + 2s: like examples/node-http`, async () => {
      const node = await nodeOutcome();
      const { f, inflightAt, ...nest } = await scenario(script, { NEST_PLATFORM: platform });
      // Nest's own hooks stand where node-http's shutdown hook logs "hooks".
      expect(nest, name).toEqual({
        ...node,
        eventKinds: ['listening', 'state', 'state', 'state', 'onModuleDestroy', 'onApplicationShutdown', 'state'],
      });
      const destroyedAt = f.events.find((e) => e.event === 'onModuleDestroy')!.at as number;
      expect(destroyedAt).toBeGreaterThanOrEqual(inflightAt - 5); // after the last response left (clocks of one machine)
      expect(destroyedAt).toBeGreaterThanOrEqual(f.stateAt('stopping')!);
      expect(f.events.find((e) => e.event === 'onApplicationShutdown')).toMatchObject({ signal: 'SIGTERM' });
    }, 90_000);
  }

  it('fails at start-up on invalid configuration, with the same message and exit code as examples/node-http', async () => {
    const env = { PORT: '0', DRAINGATE_MAX_DELAY: '20' };
    const node = await runToExit(examples['node-http'], env);
    const message = /DRAINGATE_MAX_DELAY has the invalid duration "20" \(a bare number has no unit\)/;
    expect(node.stderr).toMatch(message);
    for (const platform of ['express', 'fastify']) {
      const nest = await runToExit(examples.nestjs, { ...env, NEST_PLATFORM: platform }, START_TIMEOUT);
      expect(nest.code, platform).toBe(node.code);
      expect(nest.stderr).toMatch(message);
    }
  }, 90_000);
});
