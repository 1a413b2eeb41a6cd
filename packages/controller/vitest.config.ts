import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'controller',
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 150_000,
    // Each file starts its own etcd + kube-apiserver (and some kube-controller-manager): one file at a time.
    fileParallelism: false,
    sequence: { groupOrder: 2 },
  },
});
