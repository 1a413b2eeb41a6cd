import { describe, expect, it } from 'vitest';
import { allowed, parseCidr } from '../src/internal/cidr.js';
import { CONTROLLER_SETTINGS, resolveControllerConfig, usage } from '../src/internal/config.js';
import { ControllerConfigError } from '../src/internal/errors.js';
import { TokenBucket } from '../src/internal/token-bucket.js';

const env = {
  POD_NAME: 'draingate-controller-7c9d-abcde',
  POD_NAMESPACE: 'draingate-system',
  AWS_REGION: 'eu-west-1',
  KUBERNETES_SERVICE_HOST: '10.0.0.1',
};

describe('configuration', () => {
  it('defaults: 2 ELBv2 calls/s (burst 5), 5 s polls, a 15 s / 10 s / 2 s Lease, ip targets, private source ranges', () => {
    const c = resolveControllerConfig([], env);
    expect(c).toMatchObject({
      identity: 'draingate-controller-7c9d-abcde',
      lease: {
        name: 'draingate-controller',
        namespace: 'draingate-system',
        durationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2000,
      },
      pollIntervalMs: 5000,
      aws: { region: 'eu-west-1', rate: 2, burst: 5, targetType: 'ip' },
      kubeApi: { qps: 50, burst: 100 },
      listenHost: '0.0.0.0',
      listenPort: 9901,
      lbType: null,
      namespace: null,
    });
    expect(c.allow.map((x) => x.text)).toContain('10.0.0.0/8');
  });

  it.each([
    [['--aws-rate=0'], /--aws-rate \/ DRAINGATE_AWS_RATE is "0": use a number from 0.1 to 100/],
    [['--poll-interval=500ms'], /--poll-interval .* below 1s/],
    [['--renew-deadline=20s'], /--renew-deadline .* must lie between --retry-period .* and --lease-duration/],
    [['--target-type=instance'], /--target-type .* ip targets only/],
    [['--allow-cidr=10.0.0.0/33'], /--allow-cidr .* "10.0.0.0\/33": not a CIDR/],
    [['--lb-type=gwlb'], /choose one of auto, alb, nlb/],
    [['--fail-open-after=0s'], /--fail-open-after .* is 0s/],
    [['--bogus=1'], /Unknown option '--bogus'/],
  ])('%s is refused with the setting named', (argv, re) => {
    expect(() => resolveControllerConfig(argv, env)).toThrow(ControllerConfigError);
    expect(() => resolveControllerConfig(argv, env)).toThrow(re);
  });

  it('the region and the Lease namespace are required', () => {
    expect(() => resolveControllerConfig([], { ...env, AWS_REGION: '' })).toThrow(/--region \/ AWS_REGION is not set/);
    expect(() => resolveControllerConfig([], { ...env, POD_NAMESPACE: undefined })).toThrow(
      /--lease-namespace \/ POD_NAMESPACE is not set/,
    );
  });

  it('--help lists every setting with its environment variable', () => {
    const text = usage();
    for (const s of CONTROLLER_SETTINGS) {
      expect(text).toContain(`--${s.flag}`);
      expect(text).toContain(s.env);
    }
  });
});

describe('source ranges', () => {
  it('IPv4, IPv6 and IPv4-mapped IPv6 addresses (as sockets report them)', () => {
    const r = ['10.0.0.0/8', 'fc00::/7', '127.0.0.1'].map((x) => parseCidr(x)).filter((x) => x !== null);
    expect(r).toHaveLength(3);
    expect(allowed('10.2.3.4', r)).toBe(true);
    expect(allowed('::ffff:10.2.3.4', r)).toBe(true);
    expect(allowed('11.0.0.1', r)).toBe(false);
    expect(allowed('fd12::1', r)).toBe(true);
    expect(allowed('2001:db8::1', r)).toBe(false);
    expect(allowed('127.0.0.1', r)).toBe(true);
    expect(allowed('127.0.0.2', r)).toBe(false);
    expect(allowed(undefined, r)).toBe(false);
    expect(parseCidr('300.1.1.1/8')).toBeNull();
  });
});

describe('token bucket', () => {
  it('a burst at once, then the rate; high priority first; a pause holds everybody', async () => {
    const b = new TokenBucket(10, 3);
    const t0 = Date.now();
    const order: string[] = [];
    const takes = [0, 1, 2, 3, 4].map((i) => b.take('low').then(() => order.push(`low${i}`)));
    void b.take('high').then(() => order.push('high'));
    await Promise.all(takes);
    expect(order.slice(0, 3)).toEqual(['low0', 'low1', 'low2']);
    expect(order[3]).toBe('high'); // queued after them, served before the other low ones
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // 3 tokens at once, then 3 more at 10/s
    b.pause(Date.now() + 400);
    const p = Date.now();
    await b.take();
    expect(Date.now() - p).toBeGreaterThanOrEqual(390);
    b.close();
  });
});
