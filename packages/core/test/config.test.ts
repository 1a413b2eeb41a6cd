import { describe, expect, expectTypeOf, it } from 'vitest';
import { createGate, DraingateConfigError, type GateOptions, type StatusReport } from '../src/index.js';
import { planOf } from '../src/internal/config.js';
import { SETTINGS, type SettingKind } from '../src/internal/settings.js';
import { DEFAULTS, ENV_VARS, parseDuration, resolveConfig } from '../src/internal.js';

const base: GateOptions = { env: {}, logger: false };
const resolve = (o: GateOptions) => resolveConfig({ ...base, ...o });
const fails = (o: GateOptions): DraingateConfigError => {
  try {
    resolve(o);
  } catch (error) {
    expect(error).toBeInstanceOf(DraingateConfigError);
    return error as DraingateConfigError;
  }
  throw new Error(`expected ${JSON.stringify(o)} to be rejected`);
};

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['0s', 0],
    ['1h', 3_600_000],
  ])('parses %s', (input, ms) => {
    expect(parseDuration(input, 'x')).toBe(ms);
  });

  it.each(['10', '-1s', '', '1 sec', 's', '1.2.3s', '10S', '1d', 'abc'])('rejects %j naming the setting and an example', (input) => {
    expect(() => parseDuration(input, 'maxDelay', 'DRAINGATE_MAX_DELAY')).toThrow(/DRAINGATE_MAX_DELAY.*e\.g\. "500ms", "10s" or "1m"/);
  });

  it('rejects a bare number in options too, saying it needs a unit', () => {
    expect(() => parseDuration(20000, 'maxDelay')).toThrow(/bare number 20000: durations need a unit/);
  });
});

describe('configuration', () => {
  it('has defaults that fit the default grace period, as documented', () => {
    const c = resolve({});
    expect(c).toMatchObject({
      gracePeriod: 30_000,
      minDelay: 2000,
      maxDelay: 20_000,
      delay: null,
      drainTimeout: 5000,
      hooksTimeout: 3000,
      quietPeriod: 2000,
      quietMinRequests: 10,
      lbUnhealthyThreshold: 2,
      lbMargin: 1000,
      sidecarUrl: null,
      managementPort: null,
      readyOnListen: false,
      exit: true,
    });
    expect(c.signals).toEqual(['SIGTERM', 'SIGINT']);
    expect(c.maxDelay + c.drainTimeout + c.hooksTimeout).toBeLessThan(c.gracePeriod);
    expect(c.lbUserAgent.test('ELB-HealthChecker/2.0')).toBe(true);
    expect(c.lbUserAgent.test('kube-probe/1.30')).toBe(false);
    expect(DEFAULTS.paths).toEqual({ livez: '/livez', readyz: '/readyz', status: '/status', metrics: '/metrics', prestop: '/prestop' });
  });

  it('reads every DRAINGATE_* variable', () => {
    const c = resolve({
      env: {
        DRAINGATE_GRACE_PERIOD: '60s',
        DRAINGATE_MIN_DELAY: '1s',
        DRAINGATE_MAX_DELAY: '40s',
        DRAINGATE_DELAY: '5s',
        DRAINGATE_DRAIN_TIMEOUT: '10s',
        DRAINGATE_HOOKS_TIMEOUT: '2s',
        DRAINGATE_QUIET_PERIOD: '3s',
        DRAINGATE_QUIET_MIN_REQUESTS: '20',
        DRAINGATE_LB_UNHEALTHY_THRESHOLD: '3',
        DRAINGATE_LB_USER_AGENT: 'HAProxy-Check',
        DRAINGATE_SIDECAR_URL: 'http://127.0.0.1:9901/',
        DRAINGATE_SIDECAR_POLL_INTERVAL: '250ms',
        DRAINGATE_MANAGEMENT_PORT: '9000',
        DRAINGATE_MANAGEMENT_HOST: '127.0.0.1',
      },
    });
    expect(c).toMatchObject({
      gracePeriod: 60_000,
      minDelay: 1000,
      maxDelay: 40_000,
      delay: 5000,
      drainTimeout: 10_000,
      hooksTimeout: 2000,
      quietPeriod: 3000,
      quietMinRequests: 20,
      lbUnhealthyThreshold: 3,
      sidecarUrl: 'http://127.0.0.1:9901',
      sidecarPollInterval: 250,
      managementPort: 9000,
      managementHost: '127.0.0.1',
    });
    expect(c.lbUserAgent.test('HAProxy-Check/1')).toBe(true);
  });

  it('lets options win over the environment', () => {
    const c = resolve({ maxDelay: '4s', managementPort: 0, env: { DRAINGATE_MAX_DELAY: '40s', DRAINGATE_MANAGEMENT_PORT: '9000' } });
    expect(c.maxDelay).toBe(4000);
    expect(c.managementPort).toBe(0);
  });

  it.each([
    [{ env: { DRAINGATE_MAX_DELAY: '20' } }, /DRAINGATE_MAX_DELAY has the invalid duration "20" \(a bare number has no unit\)/],
    [{ env: { DRAINGATE_MIN_DELAY: 'soon' } }, /DRAINGATE_MIN_DELAY has the invalid duration "soon"/],
    [{ env: { DRAINGATE_GRACE_PERIOD: '30' } }, /DRAINGATE_GRACE_PERIOD/],
    [{ env: { DRAINGATE_DRAIN_TIMEOUT: '-5s' } }, /DRAINGATE_DRAIN_TIMEOUT/],
    [{ env: { DRAINGATE_QUIET_PERIOD: '2 seconds' } }, /DRAINGATE_QUIET_PERIOD/],
    [{ env: { DRAINGATE_HOOKS_TIMEOUT: 'x' } }, /DRAINGATE_HOOKS_TIMEOUT/],
    [{ env: { DRAINGATE_DELAY: '5' } }, /DRAINGATE_DELAY/],
    [{ env: { DRAINGATE_SIDECAR_POLL_INTERVAL: '1' } }, /DRAINGATE_SIDECAR_POLL_INTERVAL/],
    [
      { env: { DRAINGATE_LB_UNHEALTHY_THRESHOLD: 'two' } },
      /DRAINGATE_LB_UNHEALTHY_THRESHOLD must be a whole number from 1 to 10, got "two"/,
    ],
    [{ env: { DRAINGATE_LB_UNHEALTHY_THRESHOLD: '0' } }, /DRAINGATE_LB_UNHEALTHY_THRESHOLD must be a whole number/],
    [{ env: { DRAINGATE_QUIET_MIN_REQUESTS: '2.5' } }, /DRAINGATE_QUIET_MIN_REQUESTS must be a whole number/],
    [{ env: { DRAINGATE_MANAGEMENT_PORT: '70000' } }, /DRAINGATE_MANAGEMENT_PORT must be a whole number from 0 to 65535/],
    [{ env: { DRAINGATE_MANAGEMENT_PORT: 'http' } }, /DRAINGATE_MANAGEMENT_PORT/],
    [{ env: { DRAINGATE_SIDECAR_URL: 'localhost:9901' } }, /DRAINGATE_SIDECAR_URL must be an http:\/\/ base URL/],
    [{ env: { DRAINGATE_SIDECAR_URL: 'https://127.0.0.1:9901' } }, /DRAINGATE_SIDECAR_URL must be an http:\/\/ base URL/],
    [{ env: { DRAINGATE_MAX_DELAYS: '3s' } }, /unknown environment variable DRAINGATE_MAX_DELAYS\. Did you mean DRAINGATE_MAX_DELAY\?/],
    [{ env: { DRAINGATE_SOURCE: 'aws' } }, /DRAINGATE_SOURCE is a setting of the draingate-sidecar container, not of the app/],
    [{ maxDelay: 20000 as never }, /option maxDelay is the bare number 20000/],
    [{ minDelay: '5s', maxDelay: '2s' }, /minDelay \(5s\) is greater than maxDelay \(2s\)/],
    [{ delay: '30s' }, /delay \(30s\) must lie within \[minDelay, maxDelay\] = \[2s, 20s\]/],
    [{ quietPeriod: '0s' }, /quietPeriod must be greater than 0/],
    [{ quietMinRequests: 0 }, /quietMinRequests must be a whole number from 1/],
    [{ lbHealthCheck: { unhealthyThreshold: 1.5 } }, /lbHealthCheck.unhealthyThreshold must be a whole number/],
    [{ lbHealthCheck: { userAgent: '' } }, /lbHealthCheck.userAgent must be a non-empty string or a RegExp/],
    [{ lbHealthCheck: { paths: [] } }, /lbHealthCheck.paths must be a non-empty array/],
    [{ lbHealthCheck: { paths: ['health'] } }, /lbHealthCheck.paths\[0\] must be a path starting with "\/"/],
    [{ lbHealthCheck: { interval: '5s' } as never }, /unknown option lbHealthCheck.interval/],
    [{ lbHealthCheck: { margin: '1' as never } }, /option lbHealthCheck.margin has the invalid duration "1"/],
    [{ sidecarUrl: 'ftp://x' }, /option sidecarUrl must be an http:\/\/ base URL/],
    [{ managementPort: -1 }, /option managementPort must be a whole number from 0 to 65535, got number -1/],
    [{ managementHost: '' }, /managementHost must be a host name or address/],
    [{ paths: { readyz: 'readyz' } }, /option paths.readyz must be a path starting with "\/"/],
    [{ paths: { readyz: '/livez' } }, /option paths must all differ/],
    [{ paths: { health: '/h' } as never }, /unknown option paths.health/],
    [{ readyOnListen: 'yes' as never }, /option readyOnListen must be true or false/],
    [{ exit: 1 as never }, /option exit must be true or false/],
    [{ signals: ['TERM'] as never }, /option signals must be an array of catchable signal names.*not "TERM"/],
    [{ signals: ['SIGTERN'] as never }, /not "SIGTERN"/],
    [{ signals: ['SIGKILL'] }, /not "SIGKILL"/],
    [{ env: { DRAINGATE_DRAIN_TIMEOUT: '600h' } }, /DRAINGATE_DRAIN_TIMEOUT is "600h", longer than timers allow/],
    [{ managementPort: '9000' as never }, /option managementPort must be a number, got "9000"/],
    [{ env: { DRAINGATE_MANAGEMENT_PORT: 'tcp://10.0.0.9:9000' } }, /looks like a Kubernetes service link/],
    [{ lbHealthCheck: { margin: '5s' }, maxDelay: '5s' }, /lbHealthCheck.margin \(5s\) is not shorter than maxDelay \(5s\)/],
    [{ logger: console.log as never }, /option logger must have debug, info, warn and error methods/],
    [{ metrics: { prefix: 'my-app' } }, /option metrics.prefix must be a valid Prometheus name prefix/],
    [{ metrics: { registry: {} as never } }, /option metrics.registry must be a prom-client Registry/],
    [{ maxDealy: '3s' } as never, /unknown option "maxDealy"/],
  ] as [GateOptions, RegExp][])('rejects %j with a clear message', (options, message) => {
    const error = fails(options);
    expect(error.message).toMatch(/^draingate: /);
    expect(error.message).toMatch(message);
  });

  it('ignores the service-link variables Kubernetes injects for a Service named draingate-*', () => {
    const c = resolve({
      env: {
        DRAINGATE_CONTROLLER_SERVICE_HOST: '10.0.0.11',
        DRAINGATE_CONTROLLER_SERVICE_PORT: '8080',
        DRAINGATE_CONTROLLER_SERVICE_PORT_HTTP: '8080',
        DRAINGATE_CONTROLLER_PORT: 'tcp://10.0.0.11:8080',
        DRAINGATE_CONTROLLER_PORT_8080_TCP: 'tcp://10.0.0.11:8080',
        DRAINGATE_CONTROLLER_PORT_8080_TCP_PROTO: 'tcp',
        DRAINGATE_CONTROLLER_PORT_8080_TCP_PORT: '8080',
        DRAINGATE_CONTROLLER_PORT_8080_TCP_ADDR: '10.0.0.11',
        DRAINGATE_MAX_DELAY: '10s',
      },
    });
    expect(c.maxDelay).toBe(10_000);
    // ...but a mistyped setting ending in _PORT is still caught.
    expect(() => resolve({ env: { DRAINGATE_MANGEMENT_PORT: '9000' } })).toThrow(/Did you mean DRAINGATE_MANAGEMENT_PORT/);
  });

  it('makes a global or sticky User-Agent RegExp stateless', () => {
    const c = resolve({ lbHealthCheck: { userAgent: /^ELB-HealthChecker\//gy } });
    expect([1, 2, 3, 4].map(() => c.lbUserAgent.test('ELB-HealthChecker/2.0'))).toEqual([true, true, true, true]);
  });

  it('checks the shutdown budget against the grace period, naming every term and the fix', () => {
    const error = fails({ gracePeriod: '25s', maxDelay: '20s', drainTimeout: '5s', hooksTimeout: '3s' });
    expect(error.setting).toBe('gracePeriod');
    expect(error.message).toContain('maxDelay 20s + drainTimeout 5s + hooksTimeout 3s = 28s, which is not less than gracePeriod 25s');
    expect(error.message).toContain('terminationGracePeriodSeconds');
    // Equal is not enough: the process also needs a moment to exit.
    expect(() => resolve({ gracePeriod: '28s', maxDelay: '20s', drainTimeout: '5s', hooksTimeout: '3s' })).toThrow(DraingateConfigError);
    expect(resolve({ gracePeriod: '29s', maxDelay: '20s', drainTimeout: '5s', hooksTimeout: '3s' }).gracePeriod).toBe(29_000);
    // From the environment, as Kubernetes users set it.
    expect(() => resolve({ env: { DRAINGATE_GRACE_PERIOD: '15s', DRAINGATE_MAX_DELAY: '10s' } })).toThrow(
      /not less than DRAINGATE_GRACE_PERIOD 15s/,
    );
  });

  it('derives the default maxDelay from the grace period: what drainTimeout, hooksTimeout and 2 s of headroom leave', () => {
    expect(resolve({}).maxDelay).toBe(20_000); // 30 - 5 - 3 - 2
    // Setting the grace period to the pod's terminationGracePeriodSeconds is enough (a 60 s grace behind an ALB).
    expect(resolve({ env: { DRAINGATE_GRACE_PERIOD: '60s' } }).maxDelay).toBe(50_000);
    expect(resolve({ env: { DRAINGATE_GRACE_PERIOD: '60s', DRAINGATE_HOOKS_TIMEOUT: '10s' } }).maxDelay).toBe(43_000);
    expect(resolve({ env: { DRAINGATE_GRACE_PERIOD: '15s' } }).maxDelay).toBe(5000);
    // A maxDelay that is set is taken as set.
    expect(resolve({ env: { DRAINGATE_GRACE_PERIOD: '60s', DRAINGATE_MAX_DELAY: '30s' } }).maxDelay).toBe(30_000);
    // A grace period too short for minDelay names the grace period as the thing to raise.
    expect(() => resolve({ env: { DRAINGATE_GRACE_PERIOD: '11s' } })).toThrow(
      /minDelay \(2s, the default\) is greater than maxDelay \(1s, the default: .*raise DRAINGATE_GRACE_PERIOD with the pod's terminationGracePeriodSeconds \(DRAINGATE_GRACE_PERIOD 11s − /,
    );
  });
});

describe('errors name what the user set', () => {
  it.each([
    // Relations between settings: each side named by where it came from.
    [
      { env: { DRAINGATE_MIN_DELAY: '10s', DRAINGATE_MAX_DELAY: '5s' } },
      'DRAINGATE_MIN_DELAY (10s) is greater than DRAINGATE_MAX_DELAY (5s): lower DRAINGATE_MIN_DELAY or raise DRAINGATE_MAX_DELAY.',
    ],
    [
      { minDelay: '10s', env: { DRAINGATE_MAX_DELAY: '5s' } },
      'minDelay (10s) is greater than DRAINGATE_MAX_DELAY (5s): lower minDelay or raise DRAINGATE_MAX_DELAY.',
    ],
    [
      { env: { DRAINGATE_MIN_DELAY: '30s' } },
      "DRAINGATE_MIN_DELAY (30s) is greater than maxDelay (20s, the default: gracePeriod − drainTimeout − hooksTimeout − 2s): lower DRAINGATE_MIN_DELAY, or raise gracePeriod (DRAINGATE_GRACE_PERIOD) with the pod's terminationGracePeriodSeconds (gracePeriod 30s (default) − drainTimeout 5s (default) − hooksTimeout 3s (default) − 2s leaves 20s), or set maxDelay (DRAINGATE_MAX_DELAY).",
    ],
    [
      { env: { DRAINGATE_DELAY: '1s', DRAINGATE_MIN_DELAY: '3s' } },
      'DRAINGATE_DELAY (1s) must lie within [DRAINGATE_MIN_DELAY, maxDelay] = [3s, 20s]; maxDelay is the default.',
    ],
    [
      { lbHealthCheck: { margin: '5s' }, env: { DRAINGATE_MAX_DELAY: '5s' } },
      'lbHealthCheck.margin (5s) is not shorter than DRAINGATE_MAX_DELAY (5s)',
    ],
    [
      { env: { DRAINGATE_GRACE_PERIOD: '15s', DRAINGATE_MAX_DELAY: '10s' } },
      'DRAINGATE_MAX_DELAY 10s + drainTimeout 5s (default) + hooksTimeout 3s (default) = 18s, which is not less than DRAINGATE_GRACE_PERIOD 15s.',
    ],
    // A range of one setting, from the environment.
    [{ env: { DRAINGATE_QUIET_PERIOD: '0s' } }, 'DRAINGATE_QUIET_PERIOD must be greater than 0'],
    [{ env: { DRAINGATE_SIDECAR_POLL_INTERVAL: '10ms' } }, 'DRAINGATE_SIDECAR_POLL_INTERVAL must be at least 50ms'],
  ] as [GateOptions, string][])('%j', (options, message) => {
    expect(fails(options).message).toContain(message);
  });
});

describe('errors carry the setting and where each value came from', () => {
  it('a relation: .setting is the option (doctor maps it to its variable), .sources every side', () => {
    const error = fails({ env: { DRAINGATE_MIN_DELAY: '10s', DRAINGATE_MAX_DELAY: '5s' } });
    expect(error.setting).toBe('minDelay');
    expect(error.sources).toEqual([
      { setting: 'minDelay', from: 'env', name: 'DRAINGATE_MIN_DELAY' },
      { setting: 'maxDelay', from: 'env', name: 'DRAINGATE_MAX_DELAY' },
    ]);
  });

  it('the budget: a default is named as the default, and the fix names both ways to change it', () => {
    const error = fails({ maxDelay: '10s', env: { DRAINGATE_GRACE_PERIOD: '15s' } });
    expect(error.setting).toBe('gracePeriod');
    expect(error.sources.map((s) => [s.setting, s.from])).toEqual([
      ['gracePeriod', 'env'],
      ['maxDelay', 'option'],
      ['drainTimeout', 'default'],
      ['hooksTimeout', 'default'],
    ]);
    expect(error.message).toBe(
      "draingate: the shutdown budget does not fit the grace period: maxDelay 10s + drainTimeout 5s (default) + hooksTimeout 3s (default) = 18s, which is not less than DRAINGATE_GRACE_PERIOD 15s. Lower maxDelay, drainTimeout (DRAINGATE_DRAIN_TIMEOUT) or hooksTimeout (DRAINGATE_HOOKS_TIMEOUT), or raise the pod's terminationGracePeriodSeconds and DRAINGATE_GRACE_PERIOD to more than 18s.",
    );
  });

  it('the margin relation holds only for a margin the user chose', () => {
    expect(resolve({ minDelay: '0s', maxDelay: '500ms', drainTimeout: '1s', hooksTimeout: '1s' }).lbMargin).toBe(1000);
    expect(fails({ minDelay: '0s', maxDelay: '500ms', lbHealthCheck: { margin: '1s' } }).sources.map((s) => s.name)).toEqual([
      'lbHealthCheck.margin',
      'maxDelay',
    ]);
  });

  /** A value each kind refuses when it comes from the environment (every variable is a string). */
  const INVALID: Partial<Record<SettingKind, string>> = {
    duration: 'soon',
    'optional-duration': '10',
    integer: 'many',
    port: 'http',
    url: 'localhost:9901',
    host: ' ',
    enum: 'elb',
  };
  const fromEnv = SETTINGS.filter((s) => s.env !== null);

  it('every kind of setting that has a variable can be refused from it', () => {
    expect(fromEnv.filter((s) => INVALID[s.kind] === undefined).map((s) => s.option)).toEqual(['lbHealthCheck.userAgent']);
  });

  it.each(fromEnv.filter((s) => INVALID[s.kind] !== undefined).map((s) => [s.option, s.env as string, INVALID[s.kind] as string]))(
    '%s: named %s when the bad value came from there, the option when it came from code',
    (option, variable, bad) => {
      const fromVariable = fails({ env: { [variable]: bad } });
      expect(fromVariable.setting).toBe(option);
      expect(fromVariable.message).toMatch(new RegExp(`^draingate: ${variable} `));
      expect(fromVariable.sources).toEqual([{ setting: option, from: 'env', name: variable }]);

      const [group, key] = option.split('.') as [string, string | undefined];
      const fromCode = fails((key === undefined ? { [group]: bad } : { [group]: { [key]: bad } }) as GateOptions);
      expect(fromCode.setting).toBe(option);
      expect(fromCode.message).toMatch(new RegExp(`^draingate: option ${option.replace('.', '\\.')} `));
      expect(fromCode.sources).toEqual([{ setting: option, from: 'option', name: option }]);
    },
  );
});

describe('the settings table', () => {
  it('DEFAULTS keeps its shape and values (doctor reads them)', () => {
    expect(DEFAULTS).toEqual({
      gracePeriod: '30s',
      minDelay: '2s',
      maxDelay: '20s',
      drainTimeout: '5s',
      hooksTimeout: '3s',
      quietPeriod: '2s',
      quietMinRequests: 10,
      lbUnhealthyThreshold: 2,
      lbMargin: '1s',
      lbUserAgent: /^ELB-HealthChecker\//,
      sidecarPollInterval: '500ms',
      paths: { livez: '/livez', readyz: '/readyz', status: '/status', metrics: '/metrics', prestop: '/prestop' },
    });
    expect(Object.isFrozen(DEFAULTS) && Object.isFrozen(DEFAULTS.paths)).toBe(true);
  });

  it('ENV_VARS keeps its variables, each next to the option it sets', () => {
    expect(ENV_VARS).toEqual({
      DRAINGATE_GRACE_PERIOD: 'gracePeriod',
      DRAINGATE_MIN_DELAY: 'minDelay',
      DRAINGATE_MAX_DELAY: 'maxDelay',
      DRAINGATE_DELAY: 'delay',
      DRAINGATE_DRAIN_TIMEOUT: 'drainTimeout',
      DRAINGATE_HOOKS_TIMEOUT: 'hooksTimeout',
      DRAINGATE_QUIET_PERIOD: 'quietPeriod',
      DRAINGATE_QUIET_MIN_REQUESTS: 'quietMinRequests',
      DRAINGATE_LB_UNHEALTHY_THRESHOLD: 'lbHealthCheck.unhealthyThreshold',
      DRAINGATE_LB_USER_AGENT: 'lbHealthCheck.userAgent',
      DRAINGATE_LB_TYPE: 'lbType',
      DRAINGATE_SIDECAR_URL: 'sidecarUrl',
      DRAINGATE_SIDECAR_POLL_INTERVAL: 'sidecarPollInterval',
      DRAINGATE_MANAGEMENT_PORT: 'managementPort',
      DRAINGATE_MANAGEMENT_HOST: 'managementHost',
    });
  });

  it('has a row for every key of the resolved configuration, and no other', () => {
    const heads = new Set(SETTINGS.flatMap((s) => (s.key === null ? [] : [s.key.split('.')[0]])));
    expect([...heads].sort()).toEqual(Object.keys(resolve({})).sort());
  });

  it('planOf builds the plan of GET /status from the table, as status() shows it', async () => {
    expectTypeOf(planOf).returns.toEqualTypeOf<StatusReport['plan']>();
    expect(planOf(resolve({}))).toEqual({
      gracePeriod: '30s',
      minDelay: '2s',
      maxDelay: '20s',
      delay: null,
      quietPeriod: '2s',
      quietMinRequests: 10,
      drainTimeout: '5s',
      hooksTimeout: '3s',
      lbUnhealthyThreshold: 2,
      lbMargin: '1s',
      lbType: 'auto',
    });
    const gate = createGate({
      ...base,
      signals: false,
      exit: false,
      metrics: false,
      delay: '3s',
      lbHealthCheck: { margin: '1.5s', unhealthyThreshold: 3 },
      env: { DRAINGATE_GRACE_PERIOD: '1m', DRAINGATE_QUIET_MIN_REQUESTS: '20' },
    });
    try {
      expect(planOf(gate.config)).toEqual(gate.status().plan);
      expect(gate.status().plan).toMatchObject({ gracePeriod: '1m', delay: '3s', lbMargin: '1.5s', quietMinRequests: 20 });
    } finally {
      await gate.dispose();
    }
  });
});
