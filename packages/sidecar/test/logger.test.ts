import type { Logger as CoreLogger } from '@draingate/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createJsonLogger, type Logger } from '../src/internal/logger.js';

// One logger shape across packages: pino's order, (fields, message) or (message).
describe('the sidecar logger', () => {
  it('writes one JSON line per call, in either form, with the fields after level, time and msg', () => {
    const lines: string[] = [];
    const log = createJsonLogger('info', (l) => lines.push(l));
    log.info('plain');
    log.warn({ kind: 'throttled', attempt: 2 }, 'with fields');
    log.debug({ hidden: true }, 'below the level');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(a as object)).toEqual(['level', 'time', 'msg']);
    expect(a).toMatchObject({ level: 'info', msg: 'plain' });
    expect(Object.keys(b as object)).toEqual(['level', 'time', 'msg', 'kind', 'attempt']);
    expect(b).toMatchObject({ level: 'warn', msg: 'with fields', kind: 'throttled', attempt: 2 });
    expect(Number.isNaN(Date.parse(String(a?.time)))).toBe(false);
  });

  it("has core's shape: a sidecar logger can be given to core, and (fields, message) is the order of both", () => {
    expectTypeOf<Logger>().toExtend<CoreLogger>();
    expectTypeOf<Logger['info']>().toBeCallableWith({ a: 1 }, 'message');
    expectTypeOf<Logger['info']>().toBeCallableWith('message');
  });
});
