// How the internal entry's adapter functions (adapter.ts) reach a gate's request handling and `attach` without the
// public `Gate` type advertising them. `Gate`'s static block fills these in (only it can read its private fields),
// so this room needs nothing of gate.ts.
import type { Requests } from './requests.js';
import type { AnyServer } from './servers.js';

const unset = (): never => {
  throw new Error('draingate: gate.ts did not load');
};

export const gateAccess: {
  /** `true` for a gate made by `createGate()` of this copy of `@draingate/core` (none exists before gate.ts loads). */
  isGate(value: unknown): boolean;
  requests(gate: object): Requests;
  attach(gate: object, server: AnyServer, handleRequests: boolean): void;
} = { isGate: () => false, requests: unset, attach: unset };
