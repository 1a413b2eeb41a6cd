/**
 * A test ELBv2 endpoint that speaks the real Query protocol: `POST /` with a form-encoded body
 * (`Action=DescribeTargetHealth&Version=2015-12-01&TargetGroupArn=…&Targets.member.1.Id=…&Targets.member.1.Port=…`,
 * or `Action=DescribeTargetGroups&TargetGroupArns.member.1=…`),
 * a SigV4-signed request, and XML answers (`DescribeTargetHealthResponse`, or AWS's `ErrorResponse` for errors).
 * Tests script target states over time; the real @aws-sdk/client-elastic-load-balancing-v2 is pointed at it.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { AccountBucket, type LifecycleOptions, TargetLifecycle } from './account.js';

export type State = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable' | 'unhealthy.draining';

export interface FakeCall {
  at: number;
  action: string | null;
  targetGroupArn: string | null;
  targets: { id: string; port: number | null }[];
  authorization: string;
  /** The error code answered, if any. */
  error: string | null;
}

interface Health {
  state: State;
  reason: string | null;
  description: string | null;
}

export interface ScriptedError {
  code: string;
  status: number;
  message: string;
  retryAfterSeconds?: number;
}

const NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export class FakeElbv2 {
  readonly calls: FakeCall[] = [];
  url = '';
  private readonly server: Server;
  /** arn → "id:port" → health */
  private readonly groups = new Map<string, Map<string, Health>>();
  /** Scripted errors of DescribeTargetHealth calls (DescribeTargetGroups has its own: {@link failTargetGroups}). */
  private readonly errors: ScriptedError[] = [];
  private stickyError: ScriptedError | null = null;
  private targetGroupsError: ScriptedError | null = null;
  /** arn → target group protocol (DescribeTargetGroups); HTTP (an ALB's) unless set. */
  private readonly protocols = new Map<string, string>();
  /** The account's Describe* token bucket, once {@link throttleLikeAws} was called. */
  bucket: AccountBucket | null = null;
  /** Targets that move on their own, once {@link lifecycle} was called. */
  targets: TargetLifecycle | null = null;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const targets: FakeCall['targets'] = [];
        for (let i = 1; i <= 100 && form.has(`Targets.member.${i}.Id`); i++) {
          const port = form.get(`Targets.member.${i}.Port`);
          targets.push({ id: form.get(`Targets.member.${i}.Id`) as string, port: port === null ? null : Number(port) });
        }
        const call: FakeCall = {
          at: Date.now(),
          action: form.get('Action'),
          targetGroupArn: form.get('TargetGroupArn'),
          targets,
          authorization: String(req.headers.authorization ?? ''),
          error: null,
        };
        this.calls.push(call);
        const requestId = `req-${this.calls.length}`;
        const fail = (e: ScriptedError): void => {
          call.error = e.code;
          const headers: Record<string, string> = { 'content-type': 'text/xml', 'x-amzn-requestid': requestId };
          if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
          res
            .writeHead(e.status, headers)
            .end(
              `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
            );
        };
        if (req.method !== 'POST' || !call.authorization.startsWith('AWS4-HMAC-SHA256 ')) {
          return fail({ code: 'MissingAuthenticationToken', status: 403, message: 'Request is missing Authentication Token' });
        }
        const caller = /Credential=([^/]+)\//.exec(call.authorization)?.[1] ?? 'unknown';
        if (this.bucket && call.action?.startsWith('Describe') && !this.bucket.take(caller, call.action)) return fail(THROTTLING);
        if (call.action === 'DescribeTargetGroups' && form.get('Version') === '2015-12-01') {
          if (this.targetGroupsError) return fail(this.targetGroupsError);
          const arns: string[] = [];
          for (let i = 1; i <= 20 && form.has(`TargetGroupArns.member.${i}`); i++)
            arns.push(form.get(`TargetGroupArns.member.${i}`) as string);
          const missing = arns.find((a) => !this.groups.has(a));
          if (missing) return fail({ code: 'TargetGroupNotFound', status: 400, message: `Target groups '${missing}' not found` });
          const members = arns
            .map(
              (a) =>
                `<member><TargetGroupArn>${esc(a)}</TargetGroupArn><Protocol>${this.protocols.get(a) ?? 'HTTP'}</Protocol><TargetType>ip</TargetType></member>`,
            )
            .join('');
          return res
            .writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId })
            .end(
              `<DescribeTargetGroupsResponse xmlns="${NS}"><DescribeTargetGroupsResult><TargetGroups>${members}</TargetGroups></DescribeTargetGroupsResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeTargetGroupsResponse>`,
            );
        }
        const scripted = this.errors.shift() ?? this.stickyError;
        if (scripted) return fail(scripted);
        if (call.action !== 'DescribeTargetHealth' || form.get('Version') !== '2015-12-01') {
          return fail({
            code: 'InvalidAction',
            status: 400,
            message: `Could not find operation ${call.action} for version ${form.get('Version')}`,
          });
        }
        const group = call.targetGroupArn ? this.groups.get(call.targetGroupArn) : undefined;
        if (!group) return fail({ code: 'TargetGroupNotFound', status: 400, message: `Target groups '${call.targetGroupArn}' not found` });
        const wanted =
          targets.length > 0 ? targets : [...group.keys()].map((k) => ({ id: k.split(':')[0] as string, port: Number(k.split(':')[1]) }));
        const members = wanted
          .map((t) => {
            const h = group.get(`${t.id}:${t.port}`) ?? {
              state: 'unused' as State,
              reason: 'Target.NotRegistered',
              description: 'Target is not registered to the target group',
            };
            return (
              `<member><HealthCheckPort>${t.port}</HealthCheckPort>` +
              `<TargetHealth><State>${h.state}</State>${h.reason ? `<Reason>${esc(h.reason)}</Reason>` : ''}${h.description ? `<Description>${esc(h.description)}</Description>` : ''}</TargetHealth>` +
              `<Target><Id>${esc(t.id)}</Id>${t.port !== null ? `<Port>${t.port}</Port>` : ''}</Target></member>`
            );
          })
          .join('');
        res
          .writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId })
          .end(
            `<DescribeTargetHealthResponse xmlns="${NS}"><DescribeTargetHealthResult><TargetHealthDescriptions>${members}</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></DescribeTargetHealthResponse>`,
          );
      });
    });
    // Like AWS's endpoints, idle keep-alive connections stay open longer than a poll interval: with Node's default
    // 5 s, a client polling every 5 s (±20 %) reuses a socket just as the server closes it (socket hang up /
    // ECONNRESET), a failure AWS does not cause.
    this.server.keepAliveTimeout = 65_000;
  }

  /**
   * From now on every Describe* call takes a token of the account's bucket (shared by every caller: AWS's documented
   * example, 40 and 10/s refill) and is answered `Throttling` when none is left.
   */
  throttleLikeAws(burst = 40, refillPerSecond = 10): AccountBucket {
    this.bucket = new AccountBucket(burst, refillPerSecond);
    return this.bucket;
  }

  /** From now on {@link TargetLifecycle.register}/`deregister` move targets on their own (initial → healthy, draining → gone). */
  lifecycle(options: LifecycleOptions): TargetLifecycle {
    this.targets?.stop();
    this.targets = new TargetLifecycle(
      { set: (arn, id, port, state) => this.set(arn, id, port, state), remove: (arn, id, port) => this.remove(arn, id, port) },
      options,
    );
    return this.targets;
  }

  /** A caller in this process (an emulated load balancer controller) makes a Describe* call: false when throttled. */
  describeAs(caller: string, action = 'DescribeTargetHealth'): boolean {
    return this.bucket ? this.bucket.take(caller, action) : true;
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    return this;
  }

  /** Creates the target group (empty) if needed. */
  group(arn: string): this {
    if (!this.groups.has(arn)) this.groups.set(arn, new Map());
    return this;
  }

  /** The target group's protocol, which tells its load balancer type: HTTP/HTTPS an ALB, TCP/UDP/TLS an NLB. */
  protocol(arn: string, protocol: 'HTTP' | 'HTTPS' | 'TCP' | 'UDP' | 'TLS' | 'TCP_UDP'): this {
    this.group(arn).protocols.set(arn, protocol);
    return this;
  }

  /** Every DescribeTargetGroups call fails with `error` until `failTargetGroups(null)`. */
  failTargetGroups(error: ScriptedError | null): this {
    this.targetGroupsError = error;
    return this;
  }

  /** Registers or updates a target. Reasons default to what ELBv2 reports for that state. */
  set(arn: string, id: string, port: number, state: State, reason?: string, description?: string): this {
    const defaults: Partial<Record<State, string>> = {
      initial: 'Elb.InitialHealthChecking',
      draining: 'Target.DeregistrationInProgress',
      unhealthy: 'Target.FailedHealthChecks',
    };
    this.group(arn)
      .groups.get(arn)
      ?.set(`${id}:${port}`, { state, reason: reason ?? defaults[state] ?? null, description: description ?? null });
    return this;
  }

  /** Deregistration finished: the target is absent (DescribeTargetHealth then says unused / Target.NotRegistered). */
  remove(arn: string, id: string, port: number): this {
    this.groups.get(arn)?.delete(`${id}:${port}`);
    return this;
  }

  /** The next `n` requests fail with `error`. */
  failNext(n: number, error: ScriptedError): this {
    for (let i = 0; i < n; i++) this.errors.push(error);
    return this;
  }

  /** Every request fails with `error` until `failAlways(null)`. */
  failAlways(error: ScriptedError | null): this {
    this.stickyError = error;
    return this;
  }

  describeCalls(): FakeCall[] {
    return this.calls.filter((c) => c.action === 'DescribeTargetHealth');
  }

  targetGroupCalls(): FakeCall[] {
    return this.calls.filter((c) => c.action === 'DescribeTargetGroups');
  }

  async stop(): Promise<void> {
    this.targets?.stop();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export const THROTTLING: ScriptedError = { code: 'Throttling', status: 400, message: 'Rate exceeded' };
export const ACCESS_DENIED: ScriptedError = {
  code: 'AccessDenied',
  status: 403,
  message:
    'User: arn:aws:sts::123456789012:assumed-role/web/pod is not authorized to perform: elasticloadbalancing:DescribeTargetHealth because no identity-based policy allows the elasticloadbalancing:DescribeTargetHealth action',
};
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST000000000000', secretAccessKey: 'test-secret-not-real' };
