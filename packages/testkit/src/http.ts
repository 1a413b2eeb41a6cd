// `@draingate/testkit/http`: HTTP/1, HTTPS and HTTP/2 clients that see what a load balancer sees, a forked-process
// harness, and a throwaway TLS certificate. Plain Node: benchmarks can import it.
export { type Conn, connect, fetchOnce, get, type Protocol, type Resp, sleep, waitFor } from './http/client.js';
export { type Forked, fork, runToExit } from './http/fork.js';
export { testTls } from './http/tls.js';
