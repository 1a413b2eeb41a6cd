// A kubelet emulation: runs each pod as a child process on its own port, probes its readiness every second,
// and on deletion runs the preStop hook, sends SIGTERM, and SIGKILL once the grace period (counted from the
// deletion, preStop included, as Kubernetes does) has passed. Records when each of these happened.
//
// Pod readiness is Kubernetes': the container is ready after one successful readinessProbe (periodSeconds 1,
// successThreshold 1); the pod is Ready when its containers are ready and, if the pod has a readiness gate,
// once the controller has set the gate's condition (controller.mjs does that when the target is healthy in the
// load balancer, like the AWS Load Balancer Controller's `target-health.elbv2.k8s.aws` gate).
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { freePort } from './haproxy.mjs';
import { podObjectName } from './sidecar-stack.mjs';

const KUBERNETES_ENV = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

export class Kubelet extends EventEmitter {
  /**
   * @param {{ gracePeriod?: number, probePeriod?: number, readinessGate?: boolean, env?: Record<string,string>,
   *           stack?: Awaited<ReturnType<typeof import('./sidecar-stack.mjs').startSidecarStack>> | null }} [o]
   *   durations in ms; gracePeriod = terminationGracePeriodSeconds (default 30 s, Kubernetes' default); `stack`:
   *   the apiserver and fake ELBv2 that pods of a `sidecar` adapter use (sidecar-stack.mjs)
   */
  constructor({ gracePeriod = 30_000, probePeriod = 1000, readinessGate = true, env = {}, stack = null } = {}) {
    super();
    this.stack = stack;
    /** Failures of the pods' API calls (sidecar stack), reported with the run. */
    this.errors = [];
    this.gracePeriod = gracePeriod;
    this.probePeriod = probePeriod;
    this.readinessGate = readinessGate;
    this.env = env;
    this.pods = [];
    this.seq = 0;
  }

  /** Starts a pod running `adapter`; resolves once the process is spawned (not ready). */
  async startPod(adapter) {
    const port = await freePort();
    const lightshipPort = await freePort();
    const pod = {
      name: `pod-${++this.seq}`,
      adapter,
      port,
      lightshipPort,
      checkPort: adapter.lbCheck.port === 'lightship' ? lightshipPort : port,
      startedAt: Date.now(),
      containerReadyAt: null,
      gateAt: null,
      readyAt: null,
      deletedAt: null,
      sigtermAt: null,
      exitedAt: null,
      exit: null,
      killed: false,
      output: '',
    };
    const keep = (d) => {
      if (pod.output.length < 200_000) pod.output += d;
    };
    const podEnv = {};
    if (adapter.sidecar) {
      // The native sidecar starts first (an init container with restartPolicy: Always) and reads its pod's object.
      if (!this.stack) throw new Error(`${adapter.name} needs the sidecar stack (apiserver + ELBv2 fake)`);
      pod.objectName = podObjectName(pod.name);
      const { uid } = await this.stack.createPod(pod.objectName, Math.round(this.gracePeriod / 1000));
      const listenPort = await freePort();
      const { args, env } = this.stack.sidecarArgs({ name: pod.objectName, uid, podPort: port, listenPort });
      pod.sidecar = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      pod.sidecar.stdout.setEncoding('utf8').on('data', (d) => keep(`[sidecar] ${d}`));
      pod.sidecar.stderr.setEncoding('utf8').on('data', (d) => keep(`[sidecar] ${d}`));
      pod.sidecarExited = new Promise((resolve) => pod.sidecar.once('exit', resolve));
      podEnv.DRAINGATE_SIDECAR_URL = `http://127.0.0.1:${listenPort}`;
    }
    const child = spawn(process.execPath, [adapter.script], {
      env: {
        ...process.env,
        ...KUBERNETES_ENV,
        ...this.env,
        ...podEnv,
        PORT: String(port),
        HOST: '127.0.0.1',
        LIGHTSHIP_PORT: String(lightshipPort),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pod.child = child;
    child.stdout.setEncoding('utf8').on('data', keep);
    child.stderr.setEncoding('utf8').on('data', keep);
    pod.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        pod.exitedAt = Date.now();
        pod.exit = { code, signal };
        clearInterval(pod.prober);
        clearTimeout(pod.killer);
        this.emit('exited', pod);
        // The app container is done: the native sidecar is stopped after it, then the pod object goes.
        if (pod.sidecar) {
          pod.sidecar.kill('SIGTERM');
          void pod.sidecarExited.then(() => this.stack?.removePod(pod.objectName)).catch(() => {});
        }
        resolve(pod);
      });
    });
    this.pods.push(pod);
    const probePort = adapter.probe.port === 'lightship' ? lightshipPort : port;
    pod.prober = setInterval(() => {
      if (pod.deletedAt || pod.containerReadyAt) return;
      void probe(probePort, adapter.probe.path).then((ok) => {
        if (ok && !pod.containerReadyAt && !pod.deletedAt) {
          pod.containerReadyAt = Date.now();
          this.emit('containerReady', pod);
          this.#maybeReady(pod);
        }
      });
    }, this.probePeriod);
    return pod;
  }

  /** The readiness gate's condition turned True (the controller calls this). */
  setGate(pod) {
    if (pod.gateAt) return;
    pod.gateAt = Date.now();
    this.#maybeReady(pod);
  }

  #maybeReady(pod) {
    if (pod.readyAt || !pod.containerReadyAt || (this.readinessGate && !pod.gateAt)) return;
    pod.readyAt = Date.now();
    this.emit('ready', pod);
  }

  /** Resolves when the pod is Ready (bounded: rejects after `timeout` ms or if the process exits). */
  whenReady(pod, timeout = 60_000) {
    if (pod.readyAt) return Promise.resolve(pod);
    return new Promise((resolve, reject) => {
      const done = (p) => {
        if (p !== pod) return;
        cleanup();
        resolve(pod);
      };
      const gone = (p) => {
        if (p !== pod) return;
        cleanup();
        reject(new Error(`${pod.name} (${pod.adapter.name}) exited before it was Ready:\n${pod.output.slice(-4000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${pod.name} (${pod.adapter.name}) not Ready after ${timeout} ms:\n${pod.output.slice(-4000)}`));
      }, timeout);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('ready', done);
        this.off('exited', gone);
      };
      this.on('ready', done);
      this.on('exited', gone);
    });
  }

  /** Deletes the pod: preStop (if any), SIGTERM, SIGKILL after the grace period. Does not wait for the exit. */
  deletePod(pod) {
    if (pod.deletedAt) return;
    pod.deletedAt = Date.now();
    this.emit('deleted', pod);
    // The API server records the deletion (deletionTimestamp): the sidecar's watch sees it and starts draining.
    if (pod.sidecar) void this.stack.deletePod(pod.objectName, Math.round(this.gracePeriod / 1000)).catch((e) => this.errors.push(e));
    pod.killer = setTimeout(() => {
      pod.killed = true;
      pod.child.kill('SIGKILL');
    }, this.gracePeriod);
    const sigterm = () => {
      if (pod.exitedAt || pod.sigtermAt) return;
      pod.sigtermAt = Date.now();
      pod.child.kill('SIGTERM');
    };
    const preStop = pod.adapter.preStop;
    if (!preStop) sigterm();
    else if ('sleep' in preStop) setTimeout(sigterm, Math.min(preStop.sleep, this.gracePeriod));
    else {
      const t = setTimeout(sigterm, this.gracePeriod);
      void httpGet(pod.port, preStop.httpGet, this.gracePeriod).finally(() => {
        clearTimeout(t);
        sigterm();
      });
    }
  }

  /** Kills every pod still running (end of a run, or an error). */
  async killAll() {
    for (const pod of this.pods) {
      clearInterval(pod.prober);
      clearTimeout(pod.killer);
      if (!pod.exitedAt) pod.child.kill('SIGKILL');
      pod.sidecar?.kill('SIGKILL');
    }
    await Promise.all(this.pods.map((p) => p.exited));
    await Promise.all(this.pods.map((p) => p.sidecarExited));
  }
}

function probe(port, path) {
  return httpGet(port, path, 1000).then(
    (status) => status >= 200 && status < 400,
    () => false,
  );
}

/** GET over a new connection (as the kubelet's probes do); resolves with the status code. */
function httpGet(port, path, timeout) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout, headers: { 'user-agent': 'kube-probe/1.33' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
