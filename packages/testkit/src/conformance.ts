// `@draingate/testkit/conformance`: the lifecycle conformance suite every server kind runs unchanged, what a driver
// provides, and the acceptance run of an example process. Needs vitest (it declares tests and asserts).
export { ACCEPTANCE_ENV, expectAcceptance, untilNotReady } from './conformance/acceptance.js';
export {
  acceptUpgrades,
  type ConformanceDriver,
  type ReleaseOptions,
  releaseGate,
  type Started,
  type StartOptions,
  TEST_OPTIONS,
} from './conformance/driver.js';
export { type ExampleOutcome, exampleOutcome } from './conformance/example-outcome.js';
export { conformance } from './conformance/suite.js';
