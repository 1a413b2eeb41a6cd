import { describe, expect, it } from 'vitest';
import { LB_TYPES, lbTypeOfProtocol } from '../src/internal.js';

describe('LB_TYPES', () => {
  it('maps a target group protocol to its load balancer type', () => {
    expect(lbTypeOfProtocol('HTTP')).toBe('alb');
    expect(lbTypeOfProtocol('https')).toBe('alb');
    for (const p of ['TCP', 'UDP', 'TLS', 'TCP_UDP']) expect(lbTypeOfProtocol(p)).toBe('nlb');
    expect(lbTypeOfProtocol('GENEVE')).toBeNull();
    expect(lbTypeOfProtocol(undefined)).toBeNull();
  });

  it('bounds propagation above what users measured (ALB ~17 s, NLB ~2 min), each with its source', () => {
    expect(LB_TYPES.alb.propagationBoundMs).toBeGreaterThan(17_000);
    expect(LB_TYPES.nlb.propagationBoundMs).toBeGreaterThan(120_000);
    for (const t of Object.values(LB_TYPES)) {
      expect(t.propagationSource).toMatch(/#\d+/);
      expect(t.healthCheckSource).toMatch(/annotations\.md/);
      expect(Object.isFrozen(t)).toBe(true);
    }
  });
});
