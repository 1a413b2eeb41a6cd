import { createGate, type Gate } from '@draingate/core';
import { TEST_OPTIONS } from '@draingate/testkit/conformance';

/** A gate with the in-process test options (no signals, no exit, no logging). */
export function createGateForTest(): Gate {
  return createGate(TEST_OPTIONS);
}
