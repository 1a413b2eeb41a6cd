import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'sidecar',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests measure shutdown timing on real sockets: keep files from competing for the 2 cores.
    fileParallelism: false,
    // Runs after the core/adapter/doctor group: each file starts its own etcd + kube-apiserver (CPU-heavy on 2 cores).
    sequence: { groupOrder: 2 },
  },
});
