import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './client.js';

export interface Forked {
  child: ChildProcess;
  port: number;
  /** Parsed JSON lines the process printed. */
  events: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the exit code and the epoch ms it exited at. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stateAt(to: string): number | undefined;
}

/** Starts a Node script with the given environment and waits for its `listening` line (bounded). */
export async function fork(script: string, env: Record<string, string>, timeoutMs = 10_000): Promise<Forked> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRAINGATE_')));
  const child = spawn(process.execPath, [script], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let err = '';
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        events.push(JSON.parse(line));
      } catch {
        // not a JSON line
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const listening = await waitFor(() => events.find((e) => e.event === 'listening') ?? gone, timeoutMs, `${script} to listen`);
  if (listening === true) throw new Error(`${script} exited before listening:\n${err}`);
  return {
    child,
    port: Number((listening as Record<string, unknown>).port),
    events,
    stderr: () => err,
    exited,
    stateAt: (to) => events.find((e) => e.event === 'state' && e.to === to)?.at as number | undefined,
  };
}

/** Runs a script that is expected to fail at start-up; returns its exit code and stderr (bounded). */
export function runToExit(
  script: string,
  env: Record<string, string>,
  timeoutMs = 10_000,
): Promise<{ code: number | null; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DRAINGATE_')));
  const child = spawn(process.execPath, [script], { env: { ...clean, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}
