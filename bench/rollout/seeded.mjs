// Seeded randomness for the load-balancer model. Every draw is a pure function of the run's seed and a key that
// says what is drawn for whom ("deregister pod-2 node 1"), not of the order in which events happen: with the same
// seed, every adapter in a benchmark faces the same LB (the same per-node propagation delays, the same health-check
// phases), whatever its pods do, and a run can be repeated with `--seed`.
import { randomInt } from 'node:crypto';

/** A fresh seed (a positive 31-bit integer), for runs where none was given. */
export function randomSeed() {
  return randomInt(1, 2 ** 31);
}

/** 32-bit FNV-1a of a string, then the murmur3 finaliser (FNV alone mixes the last characters poorly). */
export function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number drawn uniformly from [min, max] for `key` under `seed`. */
export function uniform(seed, key, [min, max]) {
  return min + (hash32(`${seed}|${key}`) / 2 ** 32) * (max - min);
}

/** A stream of uniform numbers in [0, 1) (mulberry32), for draws where order is fine (the clients' node picks). */
export function stream(seed) {
  let a = hash32(`${seed}|stream`);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
