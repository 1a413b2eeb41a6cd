import type { EvidenceInputs } from '../../src/internal/evidence.js';

/** Evidence inputs at drain start with nothing observed yet: minDelay 1 s, maxDelay 10 s, lbMargin 500 ms. */
export const EVIDENCE_BASE: EvidenceInputs = {
  now: 0,
  drainStartedAt: 0,
  minDelay: 1000,
  maxDelay: 10_000,
  delay: null,
  quietPeriod: 2000,
  quietMinRequests: 10,
  before: { rate: 0, steadiness: 0, spanSeconds: 0 },
  lastRequestAt: -1,
  sidecarDeregistered: false,
  lbUnhealthy: null,
  lbMargin: 500,
};
