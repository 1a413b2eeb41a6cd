import { ENV_VARS as CORE_ENV_VARS, resolveConfig as resolveCoreConfig, SIDECAR_ENV_VARS } from '@draingate/core/internal';
import { describe, expect, it } from 'vitest';
import { resolveConfig, SETTINGS, usage } from '../src/internal/config.js';
import { SidecarConfigError } from '../src/internal/errors.js';

const POD = {
  POD_NAME: 'web-1',
  POD_NAMESPACE: 'shop',
  POD_UID: '7d3c-uid',
  POD_IP: '10.0.0.5',
  NODE_NAME: 'node-1',
  KUBERNETES_SERVICE_HOST: '10.96.0.1',
};

function err(argv: string[], env: Record<string, string | undefined> = POD): SidecarConfigError {
  try {
    resolveConfig(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(SidecarConfigError);
    return e as SidecarConfigError;
  }
  throw new Error('expected a SidecarConfigError');
}

describe('resolveConfig', () => {
  it('defaults: the documented ones', () => {
    const c = resolveConfig(['--source', 'albc'], POD);
    expect(c).toMatchObject({
      source: 'albc',
      conditionType: 'draingate.io/lb-ready',
      listenHost: '127.0.0.1',
      listenPort: 9901,
      kubeconfig: null,
      pod: { name: 'web-1', namespace: 'shop', uid: '7d3c-uid', ip: '10.0.0.5', nodeName: 'node-1' },
      pollIntervalMs: 5000,
      lbType: null,
      propagationBoundMs: null,
      fallbackDelayMs: 30_000,
      appDrainBudgetMs: 10_000,
      failOpenAfterMs: null,
      aws: { targetType: 'ip', targetGroupArns: [], targetPort: null },
      app: { healthyThreshold: 5 },
    });
    // Every default in SETTINGS is what the parser produces.
    expect(SETTINGS.find((s) => s.flag === 'listen')?.default).toBe('127.0.0.1:9901');
    expect(SETTINGS.find((s) => s.flag === 'poll-interval')?.default).toBe('5s');
  });

  it('flags win over environment variables; lists from env are comma-separated', () => {
    const arn1 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/a/0123456789abcdef';
    const arn2 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/b/0123456789abcdee';
    const c = resolveConfig(['--poll-interval=2s'], {
      ...POD,
      DRAINGATE_SOURCE: 'aws',
      AWS_REGION: 'eu-west-1',
      DRAINGATE_POLL_INTERVAL: '9s',
      DRAINGATE_TARGET_GROUP_ARNS: `${arn1}, ${arn2}`,
      DRAINGATE_TARGET_PORT: '8080',
    });
    expect(c.pollIntervalMs).toBe(2000);
    expect(c.aws.targetGroupArns).toEqual([arn1, arn2]);
    expect(c.aws.targetPort).toBe(8080);
  });

  it.each([
    [[], POD, 'source', /--source \/ DRAINGATE_SOURCE is not set: choose one of aws, app, albc/],
    [['--source=elb'], POD, 'source', /--source \/ DRAINGATE_SOURCE is "elb": choose one of aws, app, albc/],
    [['--source=albc'], { ...POD, POD_UID: undefined }, 'pod-uid', /--pod-uid \/ POD_UID is not set: set it from the downward API/],
    [['--source=albc', '--condition-type=lb-ready'], POD, 'condition-type', /domain-prefixed name/],
    [['--source=albc', '--poll-interval=5'], POD, 'poll-interval', /invalid duration "5" \(a bare number has no unit\)/],
    [['--source=albc', '--fail-open-after=ten minutes'], POD, 'fail-open-after', /--fail-open-after has the invalid duration/],
    [
      ['--source=albc'],
      { ...POD, DRAINGATE_FAIL_OPEN_AFTER: '0s' },
      'fail-open-after',
      /DRAINGATE_FAIL_OPEN_AFTER is 0s: that sets the gate True at once, without evidence; unset it to keep fail-open off/,
    ],
    [
      ['--source=albc'],
      { ...POD, DRAINGATE_PROPAGATION_BOUND: '30d' },
      'propagation-bound',
      /DRAINGATE_PROPAGATION_BOUND has the invalid duration "30d"/,
    ],
    [
      ['--source=albc'],
      { ...POD, DRAINGATE_PROPAGATION_MARGIN: '5s' },
      'DRAINGATE_PROPAGATION_MARGIN',
      /--propagation-margin \/ DRAINGATE_PROPAGATION_MARGIN was removed: .*--propagation-bound \/ DRAINGATE_PROPAGATION_BOUND, counted from the moment the API first showed it draining/,
    ],
    [
      ['--source=albc', '--propagation-margin=5s'],
      POD,
      'DRAINGATE_PROPAGATION_MARGIN',
      /--propagation-margin \/ DRAINGATE_PROPAGATION_MARGIN was removed/,
    ],
    [['--source=aws', '--lb-type=elb'], POD, 'lb-type', /--lb-type \/ DRAINGATE_LB_TYPE is "elb": choose one of auto, alb, nlb/],
    [['--source=albc', '--fallback-delay=600h'], POD, 'fallback-delay', /--fallback-delay is "600h", longer than timers allow/],
    [['--source=albc', '--listen=localhost:99999'], POD, 'listen', /use an IP and a port such as "127\.0\.0\.1:9901"/],
    [
      ['--source=albc'],
      { ...POD, KUBERNETES_SERVICE_HOST: undefined },
      'kubeconfig',
      /KUBECONFIG is not set and KUBERNETES_SERVICE_HOST is not either/,
    ],
    [
      ['--source=albc', '--kubeconfig=/nonexistent/kubeconfig'],
      POD,
      'kubeconfig',
      /KUBECONFIG is "\/nonexistent\/kubeconfig": no such file/,
    ],
    [['--source=aws'], POD, 'region', /--region \/ AWS_REGION is not set/],
    [['--source=aws', '--region=eu-west-1'], { ...POD, POD_IP: undefined }, 'pod-ip', /ip mode registers podIP:port/],
    [['--source=aws', '--region=eu-west-1', '--target-group-arn=web'], POD, 'target-group-arn', /not a target group ARN/],
    [
      [
        '--source=aws',
        '--region=eu-west-1',
        '--target-group-arn=arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/a/0123456789abcdef',
      ],
      POD,
      'target-port',
      /--target-port .* is not set/,
    ],
    [
      ['--source=aws', '--region=eu-west-1', '--target-type=instance', '--instance-id=node-1'],
      POD,
      'instance-id',
      /not an EC2 instance id/,
    ],
    [['--source=app'], POD, 'app-status-url', /--app-status-url \/ DRAINGATE_APP_STATUS_URL is not set/],
    [
      ['--source=app', '--app-status-url=http://127.0.0.1:9090/status', '--healthy-threshold=0'],
      POD,
      'healthy-threshold',
      /whole number from 1 to 100/,
    ],
    [['--source=albc', '--bogus'], POD, 'argv', /Unknown option '--bogus'.*--help/],
  ] as const)('rejects %j with one message naming the setting', (argv, env, setting, message) => {
    const e = err([...argv], env);
    expect(e.setting).toBe(setting);
    expect(e.message).toMatch(/^draingate-sidecar: /);
    expect(e.message).not.toContain('draingate: '); // core's prefix is dropped from the durations it parses
    expect(e.message).toMatch(message);
  });

  it('--help lists every setting with its environment variable', () => {
    const text = usage();
    for (const s of SETTINGS) {
      expect(text).toContain(`--${s.flag}`);
      expect(text).toContain(s.env);
    }
  });
});

describe('the sidecar and the app share the DRAINGATE_ prefix', () => {
  const sidecarVars = SETTINGS.map((s) => s.env).filter((name) => name.startsWith('DRAINGATE_'));
  // Read by both containers on purpose: one ConfigMap says which load balancer is in front of the pod.
  const shared = ['DRAINGATE_LB_TYPE'];
  const sidecarOnly = sidecarVars.filter((name) => !shared.includes(name));

  it("core knows every sidecar-only DRAINGATE_* variable as the sidecar's (so an app given one says where it belongs)", () => {
    expect([...SIDECAR_ENV_VARS].sort()).toEqual([...sidecarOnly].sort());
  });

  it('the only variables both read are the shared ones, and the app accepts them', () => {
    expect(sidecarVars.filter((name) => name in CORE_ENV_VARS)).toEqual(shared);
    for (const name of shared) {
      expect(() => resolveCoreConfig({ env: { [name]: 'nlb' }, logger: false, signals: false })).not.toThrow();
    }
  });

  it('an app that inherits a sidecar-only variable refuses to start, naming the container it belongs to', () => {
    for (const name of sidecarOnly) {
      expect(() => resolveCoreConfig({ env: { [name]: 'x' }, logger: false, signals: false })).toThrow(
        `${name} is a setting of the draingate-sidecar container, not of the app`,
      );
    }
  });
});
