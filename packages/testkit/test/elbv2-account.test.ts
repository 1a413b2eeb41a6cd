import { describe, expect, it } from 'vitest';
import { FakeElbv2 } from '../src/elbv2.js';

/** A DescribeTargetHealth as the AWS SDK sends it (the fake checks the SigV4 scheme, not the signature). */
async function describe_(url: string, accessKey: string, arn: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/20261201/eu-west-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: 'DescribeTargetHealth', Version: '2015-12-01', TargetGroupArn: arn }).toString(),
  });
  return { status: res.status, body: await res.text() };
}

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef';

describe('FakeElbv2 at account scale', () => {
  it('one token bucket for every caller: the burst, then the refill rate, then Throttling; counted per access key', async () => {
    const elb = await new FakeElbv2().start();
    elb.group(TG);
    const bucket = elb.throttleLikeAws(5, 2);
    const answers = [];
    const t0 = performance.now();
    for (let i = 0; i < 8; i++) answers.push(await describe_(elb.url, i % 2 ? 'AKIDB' : 'AKIDA', TG));
    const refilled = Math.floor(((performance.now() - t0) / 1000) * 2); // what came back meanwhile (a loaded machine is slow)
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(5);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(5 + refilled);
    const throttled = answers.filter((a) => a.status === 400);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    expect(throttled.length + answers.filter((a) => a.status === 200).length).toBe(8);
    expect(throttled[0]?.body).toMatch(/<Code>Throttling<\/Code><Message>Rate exceeded<\/Message>/);
    // An in-process caller draws from the same bucket.
    expect(elb.describeAs('albc')).toBe(false);
    await new Promise((r) => setTimeout(r, 600)); // a token back at 2/s
    expect(elb.describeAs('albc')).toBe(true);
    expect(bucket.byCaller.get('AKIDA')?.calls).toBe(4);
    expect(bucket.total().calls).toBe(10);
    expect(bucket.total('albc').throttled).toBe(1);
    await elb.stop();
  });

  it('targets move on their own: initial, healthy after the check interval, draining, gone after the delay', async () => {
    const elb = await new FakeElbv2().start();
    const targets = elb.lifecycle({ healthyAfterMs: 200, deregistrationDelayMs: 200 });
    targets.register(TG, '198.18.0.1', 8080);
    const state = async (): Promise<string> => /<State>(\w+)<\/State>/.exec((await describe_(elb.url, 'AKIDA', TG)).body)?.[1] ?? 'absent';
    expect(await state()).toBe('initial');
    await new Promise((r) => setTimeout(r, 300));
    expect(await state()).toBe('healthy');
    targets.deregister(TG, '198.18.0.1', 8080);
    expect(await state()).toBe('draining');
    await new Promise((r) => setTimeout(r, 300));
    expect(await state()).toBe('absent'); // DescribeTargetHealth of the whole group no longer lists it
    const h = targets.get(TG, '198.18.0.1', 8080);
    expect(h?.healthyAt && h.healthyAt - h.registeredAt).toBeGreaterThanOrEqual(190);
    expect(h?.goneAt && h.drainingAt && h.goneAt - h.drainingAt).toBeGreaterThanOrEqual(190);
    await elb.stop();
  });
});
