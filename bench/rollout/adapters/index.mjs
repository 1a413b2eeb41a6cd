// The adapters the rollout harness deploys: what each pod runs, how the kubelet probes it, what the load
// balancer health-checks, and its preStop hook. Peers use their documented set-ups; draingate runs the
// repository's examples with their defaults (no DRAINGATE_* set: gracePeriod 30 s = the kubelet's default
// terminationGracePeriodSeconds).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const example = (file) => fileURLToPath(new URL(`../../../examples/${file}`, import.meta.url));
const demo = (file) => fileURLToPath(new URL(`../../demo/${file}`, import.meta.url));

/**
 * @typedef {object} Adapter
 * @property {string} name           short id used by --adapters and in the table
 * @property {string} title          what it is
 * @property {string} script         the pod's entry point (gets PORT, and LIGHTSHIP_PORT)
 * @property {{ port: 'traffic' | 'lightship', path: string }} probe   kubelet readinessProbe (httpGet)
 * @property {{ port: 'traffic' | 'lightship', path: string }} lbCheck  the target group's health check
 * @property {{ sleep: number } | { httpGet: string }} [preStop]
 * @property {boolean} [draingate]
 * @property {boolean} [naive]       expected to lose requests (the harness must see them)
 * @property {boolean} [sidecar]     runs the draingate-sidecar beside the app (a kube-apiserver and an ELBv2 fake per run)
 * @property {() => void} [prepare]  run once before the first pod starts (examples/next: its cached build)
 */

/** examples/next serves a `next build`: build.mjs makes it, or copies it from its cache outside the clone. */
function buildNextExample() {
  const r = spawnSync(process.execPath, [example('next/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`examples/next/build.mjs failed (exit ${r.status ?? r.signal})`);
}

/** @type {Adapter[]} */
export const adapters = [
  {
    name: 'express-bare',
    title: 'express, no shutdown handling',
    script: here('express-bare.mjs'),
    probe: { port: 'traffic', path: '/' },
    lbCheck: { port: 'traffic', path: '/' },
    naive: true,
  },
  {
    name: 'express-close',
    title: 'express + server.close()',
    script: here('express-close.mjs'),
    probe: { port: 'traffic', path: '/' },
    lbCheck: { port: 'traffic', path: '/' },
    naive: true,
  },
  {
    name: 'prestop-sleep-5s',
    title: 'express + server.close(), preStop sleep 5 s',
    script: here('express-close.mjs'),
    probe: { port: 'traffic', path: '/' },
    lbCheck: { port: 'traffic', path: '/' },
    preStop: { sleep: 5000 },
  },
  {
    name: 'http-terminator',
    title: 'express + http-terminator',
    script: here('express-http-terminator.mjs'),
    probe: { port: 'traffic', path: '/' },
    lbCheck: { port: 'traffic', path: '/' },
  },
  {
    name: 'terminus',
    title: 'express + @godaddy/terminus (k8s set-up)',
    script: here('express-terminus.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
  },
  {
    name: 'lightship',
    title: 'express + lightship (k8s mode)',
    script: here('express-lightship.mjs'),
    probe: { port: 'lightship', path: '/ready' },
    lbCheck: { port: 'lightship', path: '/ready' },
  },
  {
    name: 'close-with-grace',
    title: 'fastify + close-with-grace',
    script: here('fastify-close-with-grace.mjs'),
    probe: { port: 'traffic', path: '/' },
    lbCheck: { port: 'traffic', path: '/' },
  },
  {
    name: 'draingate-node',
    title: 'draingate, node:http (defaults)',
    script: example('node-http/server.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    draingate: true,
  },
  {
    name: 'draingate-express',
    title: 'draingate, express (defaults)',
    script: example('express/server.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    draingate: true,
  },
  {
    name: 'draingate-fastify',
    title: 'draingate, fastify (defaults)',
    script: example('fastify/server.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    draingate: true,
  },
  {
    name: 'draingate-nestjs',
    title: 'draingate, nestjs on express (defaults)',
    script: example('nestjs/server.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    draingate: true,
  },
  {
    name: 'draingate-hono',
    title: 'draingate, hono on core attach() (defaults)',
    script: example('hono/server.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    draingate: true,
  },
  {
    name: 'draingate-koa',
    title: 'draingate, koa on core attach() (defaults)',
    script: example('koa/server.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    draingate: true,
  },
  {
    name: 'draingate-next',
    title: 'draingate, next.js custom server (defaults)',
    script: example('next/server.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    draingate: true,
    prepare: buildNextExample,
  },
  {
    name: 'draingate-sidecar',
    title: 'draingate, node:http + sidecar (aws source)',
    script: example('node-http/server.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    draingate: true,
    // The real draingate-sidecar beside the app, reading the harness's API view through the ELBv2 wire fake
    // (sidecar-stack.mjs); DRAINGATE_SIDECAR_URL points the app at it.
    sidecar: true,
  },
];

/** The demo's services (bench/demo): server.close() on SIGTERM, a fixed 5 s wait, and draingate (examples/node-http). */
export const demoAdapters = {
  naive: {
    name: 'naive',
    title: 'node:http + server.close()',
    script: demo('naive.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
    naive: true,
  },
  fixed: {
    name: 'fixed-5s',
    title: 'node:http, wait 5 s then server.close()',
    script: demo('fixed-sleep.mjs'),
    probe: { port: 'traffic', path: '/readyz' },
    lbCheck: { port: 'traffic', path: '/readyz' },
  },
  draingate: { ...adapters.find((a) => a.name === 'draingate-node'), name: 'draingate' },
};

export function findAdapters(names) {
  const all = [...adapters, ...Object.values(demoAdapters)];
  return names.map((n) => {
    const a = all.find((x) => x.name === n);
    if (!a) throw new Error(`--adapters: unknown adapter "${n}"; known: ${all.map((x) => x.name).join(', ')}`);
    return a;
  });
}
