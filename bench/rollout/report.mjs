// Formatting of rollout results: the table (Markdown, aligned, so it reads in a terminal and pastes into a
// README) and an SVG chart of requests per second by outcome over time.

export const fmtS = (ms) => (ms === null || ms === undefined || !Number.isFinite(ms) ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function failureKinds(failures) {
  const e = Object.entries(failures).sort((a, b) => b[1] - a[1]);
  return e.length ? e.map(([k, v]) => `${k.replace('HTTP ', '')}×${v}`).join(' ') : '-';
}

export function exits(pods) {
  const n = {};
  for (const p of pods) n[p.exit] = (n[p.exit] ?? 0) + 1;
  return Object.entries(n)
    .map(([k, v]) => (v > 1 ? `${k}×${v}` : k))
    .join(' ');
}

const signedS = (ms) => (ms === null || ms === undefined ? '-' : `${ms < 0 ? '−' : '+'}${(Math.abs(ms) / 1000).toFixed(1)} s`);

/** One paragraph on what the LB model is, for the top of a run's output. @param {import('./lb-models.mjs').LbModel} m */
export function describeModel(m) {
  const hc = m.healthCheck;
  const r = ([a, b]) => (a === b ? `${a / 1000} s` : `${a / 1000}–${b / 1000} s`);
  const total = m.shares.reduce((n, x) => n + x, 0);
  if (m.name === 'single')
    return `LB model single: one HAProxy (HTTP), health checks every ${hc.interval / 1000} s, healthy/unhealthy after ${hc.healthyThreshold}/${hc.unhealthyThreshold}; a deregistration stops all routing at once; no fail-open; terminationGracePeriodSeconds ${m.pod.gracePeriod / 1000}`;
  return (
    `LB model ${m.name}: ${m.shares.length} nodes (${m.mode === 'http' ? 'HTTP' : 'TCP'}, traffic ${m.shares.map((x) => Math.round((100 * x) / total)).join('/')} %, sources ${m.shares.map((_, i) => `127.0.0.${11 + i}`).join(', ')}), ` +
    `each health-checking every ${hc.interval / 1000} s (timeout ${hc.timeout / 1000} s, healthy after 1 check when new, ${hc.healthyThreshold} when unhealthy; unhealthy after ${hc.unhealthyThreshold}); ` +
    `per-node propagation: registration ${r(m.propagation.register)}, deregistration ${r(m.propagation.deregister)}, acting on unhealthy ${r(m.propagation.unhealthy)}; ` +
    `fail-open ${m.failOpen ? 'on' : 'off'}${m.resetOnUnhealthy ? '; resets connections of unhealthy targets' : ''}; terminationGracePeriodSeconds ${m.pod.gracePeriod / 1000}` +
    `${
      Object.keys(m.pod.env).length
        ? `, pod env ${Object.entries(m.pod.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : ''
    }`
  );
}

/**
 * Per deleted pod: ms after its deletion of SIGTERM, the API's `draining`, each node's stop of routing (d:
 * deregistration applied, u: found unhealthy), the last request any node sent, the last node's stop, the exit and
 * its margin over that stop, and the evidence that ended draining (draingate).
 * @param {any[]} results
 */
export function podTable(results) {
  const head = [
    'adapter',
    'scenario',
    'lag',
    'pod',
    'SIGTERM',
    'API draining',
    'nodes stopped routing',
    'last request',
    'LB let go',
    'exit',
    'exit − let go',
    'draining ended on',
  ];
  const rows = [];
  for (const r of results)
    for (const p of r.pods)
      rows.push([
        r.adapter,
        r.scenario,
        `${r.lag / 1000} s`,
        p.name,
        fmtS(p.sigtermAfter),
        fmtS(p.apiDrainingAfter),
        p.nodes
          .map(
            (n) =>
              `${n.node.replace('node', 'n')} ${n.stoppedAfter === null ? 'routing' : `${fmtS(n.stoppedAfter)} ${n.stopReason?.[0] ?? ''}`}`,
          )
          .join(', '),
        fmtS(p.lastRequestAfter),
        fmtS(p.lastStopAfter),
        p.running ? 'running' : fmtS(p.deleteToExit),
        signedS(p.exitMinusLastStop),
        p.evidence ? `${p.evidence}${p.evidenceAfter === null ? '' : ` (${fmtS(p.evidenceAfter)})`}` : '-',
      ]);
  return markdown(head, rows, new Set([2, 4, 5, 7, 8, 9, 10]));
}

function markdown(head, rows, right) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const cell = (s, i) => (right.has(i) ? s.padStart(w[i]) : s.padEnd(w[i]));
  const line = (cells) => `| ${cells.map(cell).join(' | ')} |`;
  return [
    line(head),
    `|${w.map((n, i) => (right.has(i) ? `${'-'.repeat(n + 1)}:` : '-'.repeat(n + 2))).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** @param {any[]} results @param {{ color?: boolean }} [o] */
export function table(results, { color = false } = {}) {
  const head = [
    'adapter',
    'scenario',
    'lag',
    'requests',
    'failed',
    'failures by kind',
    'success',
    'p99',
    'max SIGTERM→exit',
    'max delete→exit',
    'exit',
    'LB let go',
    'exit − let go',
    'rollout time',
  ];
  const rows = results.map((r) => [
    r.adapter,
    r.scenario,
    `${r.lag / 1000} s`,
    String(r.requests),
    String(r.failed),
    failureKinds(r.failures),
    `${(100 * r.success).toFixed(2)} %`,
    r.p99 === null ? '-' : `${r.p99} ms`,
    r.maxSigtermToExit === null ? `> ${fmtS(r.measuredFor)}` : fmtS(r.maxSigtermToExit),
    r.maxDeleteToExit === null ? `> ${fmtS(r.measuredFor)}` : fmtS(r.maxDeleteToExit),
    exits(r.pods),
    r.maxLastStop === null || r.maxLastStop === undefined ? '-' : fmtS(r.maxLastStop),
    minMargin(r.pods),
    r.totalTime === null ? `> ${fmtS(r.measuredFor)}` : fmtS(r.totalTime),
  ]);
  const right = new Set([2, 3, 4, 6, 7, 8, 9, 11, 12, 13]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const cell = (s, i) => (right.has(i) ? s.padStart(w[i]) : s.padEnd(w[i]));
  const line = (cells) => `| ${cells.map(cell).join(' | ')} |`;
  const out = [line(head), `|${w.map((n, i) => (right.has(i) ? `${'-'.repeat(n + 1)}:` : '-'.repeat(n + 2))).join('|')}|`];
  results.forEach((r, i) => {
    const l = line(rows[i]);
    out.push(color ? (r.failed ? `\x1b[31m${l}\x1b[0m` : `\x1b[32m${l}\x1b[0m`) : l);
  });
  return out.join('\n');
}

function minMargin(pods) {
  const m = pods.map((p) => p.exitMinusLastStop).filter((x) => x !== null && x !== undefined);
  if (pods.some((p) => !p.running && p.exitMinusLastStop === null && p.lastStopAfter === null)) return 'exited while routed';
  return m.length ? signedS(Math.min(...m)) : '-';
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * An SVG of requests per second by outcome over time, one panel per run, stacked bars (ok green, failures red
 * shades) with the run's events as markers.
 * @param {{ title: string, subtitle?: string, runs: { label: string, timeline: { ok: number, failed: Record<string, number> }[], events?: { t: number, text: string }[] }[] }} o
 */
export function chartSvg({ title, subtitle = '', runs }) {
  const W = 900;
  const PH = 220; // panel height
  const top = 76;
  const left = 56;
  const right = 16;
  const gap = 48;
  const seconds = Math.max(1, ...runs.map((r) => r.timeline.length));
  const maxY = Math.max(1, ...runs.flatMap((r) => r.timeline.map((b) => b.ok + sum(b.failed))));
  const yMax = niceCeil(maxY);
  const bw = (W - left - right) / seconds;
  const kinds = [...new Set(runs.flatMap((r) => r.timeline.flatMap((b) => Object.keys(b.failed))))].sort();
  const reds = ['#d62728', '#ff7f0e', '#8c1c13', '#e377c2', '#bcbd22', '#9467bd'];
  const colorOf = (k) => reds[kinds.indexOf(k) % reds.length];
  const H = top + runs.length * (PH + gap) + 20;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="40" fill="#555">${esc(subtitle)}</text>`,
  ];
  // legend
  const legend = [['ok', '#2ca02c'], ...kinds.map((k) => [k, colorOf(k)])];
  legend.forEach(([k, c], i) => {
    const x = left + i * 110;
    parts.push(`<rect x="${x}" y="50" width="10" height="10" fill="${c}"/><text x="${x + 14}" y="59">${esc(k)}</text>`);
  });
  runs.forEach((run, ri) => {
    const y0 = top + ri * (PH + gap) + 20;
    const failed = run.timeline.reduce((n, b) => n + sum(b.failed), 0);
    const total = run.timeline.reduce((n, b) => n + b.ok + sum(b.failed), 0);
    parts.push(
      `<text x="${left}" y="${y0 - 6}" font-weight="bold">${esc(run.label)}</text>`,
      `<text x="${W - right}" y="${y0 - 6}" text-anchor="end" fill="${failed ? '#d62728' : '#2ca02c'}">${failed} failed of ${total}</text>`,
      `<line x1="${left}" y1="${y0 + PH}" x2="${W - right}" y2="${y0 + PH}" stroke="#999"/>`,
    );
    for (const v of [0, yMax / 2, yMax]) {
      const y = y0 + PH - (v / yMax) * PH;
      parts.push(
        `<text x="${left - 6}" y="${y + 4}" text-anchor="end" fill="#555">${v}</text>`,
        `<line x1="${left}" y1="${y}" x2="${W - right}" y2="${y}" stroke="#eee"/>`,
      );
    }
    run.timeline.forEach((b, s) => {
      const x = left + s * bw;
      let y = y0 + PH;
      const seg = (n, c, label) => {
        if (!n) return;
        const h = (n / yMax) * PH;
        y -= h;
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${c}"><title>${s}s: ${esc(label)} ${n}</title></rect>`,
        );
      };
      seg(b.ok, '#2ca02c', 'ok');
      for (const k of Object.keys(b.failed).sort()) seg(b.failed[k], colorOf(k), k);
    });
    for (const e of run.events ?? []) {
      const x = left + (e.t / 1000) * bw;
      parts.push(
        `<line x1="${x.toFixed(1)}" y1="${y0}" x2="${x.toFixed(1)}" y2="${y0 + PH}" stroke="#333" stroke-dasharray="3,3"><title>${esc(e.text)}</title></line>`,
      );
    }
    for (let s = 0; s <= seconds; s += seconds > 60 ? 10 : 5) {
      parts.push(`<text x="${(left + s * bw).toFixed(1)}" y="${y0 + PH + 14}" text-anchor="middle" fill="#555">${s}s</text>`);
    }
  });
  parts.push(
    `<text x="12" y="${top + 20 + PH / 2}" transform="rotate(-90 12 ${top + 20 + PH / 2})" text-anchor="middle" fill="#555">requests/s (by send time)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

function sum(o) {
  let n = 0;
  for (const v of Object.values(o)) n += v;
  return n;
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
