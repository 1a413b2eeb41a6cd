// `@draingate/testkit/elbv2`: a fake ELBv2 endpoint speaking the real Query protocol, for the AWS SDK the sidecar
// uses, with scripted target states and errors. Plain Node: benchmarks can import it.

export {
  AccountBucket,
  type CallerStats,
  type LifecycleOptions,
  type TargetHistory,
  TargetLifecycle,
} from './elbv2/account.js';
export {
  ACCESS_DENIED,
  type FakeCall,
  FakeElbv2,
  type ScriptedError,
  type State,
  TEST_CREDENTIALS,
  THROTTLING,
} from './elbv2/fake-elbv2.js';
