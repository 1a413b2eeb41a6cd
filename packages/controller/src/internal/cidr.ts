import { isIP } from 'node:net';

/** An address range: IPv4 ranges also match IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, as Node reports them). */
export interface Cidr {
  readonly text: string;
  readonly v6: boolean;
  readonly bits: bigint;
  readonly prefix: number;
}

function toBigInt(ip: string): { v6: boolean; value: bigint } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const addr = mapped?.[1] ?? ip;
  const kind = isIP(addr);
  if (kind === 4) return { v6: false, value: addr.split('.').reduce((a, o) => (a << 8n) | BigInt(Number(o)), 0n) };
  if (kind !== 6) return null;
  const [head = '', tail = ''] = addr.split('::');
  const parts = (s: string): string[] => (s ? s.split(':') : []);
  let groups = [...parts(head)];
  const rest = parts(tail);
  if (addr.includes('::')) groups = [...groups, ...Array<string>(8 - groups.length - rest.length).fill('0'), ...rest];
  return { v6: true, value: groups.reduce((a, g) => (a << 16n) | BigInt(Number.parseInt(g || '0', 16)), 0n) };
}

/** `10.0.0.0/8`, `fc00::/7`, or a bare address (a /32 or /128); null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const [ip = '', p] = text.split('/');
  const a = toBigInt(ip);
  if (!a || ip.includes('::ffff:')) return null;
  const max = a.v6 ? 128 : 32;
  const prefix = p === undefined ? max : Number(p);
  if (!/^\d+$/.test(p ?? String(max)) || prefix > max) return null;
  const shift = BigInt(max - prefix);
  return { text, v6: a.v6, bits: (a.value >> shift) << shift, prefix };
}

/** Whether `ip` (as a socket reports it) lies in one of `ranges`. */
export function allowed(ip: string | undefined, ranges: readonly Cidr[]): boolean {
  const a = ip ? toBigInt(ip) : null;
  if (!a) return false;
  return ranges.some((r) => {
    if (r.v6 !== a.v6) return false;
    const shift = BigInt((r.v6 ? 128 : 32) - r.prefix);
    return (a.value >> shift) << shift === r.bits;
  });
}
