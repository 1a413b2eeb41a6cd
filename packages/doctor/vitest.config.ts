import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'doctor',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests measure shutdown timing on real sockets: keep files from competing for the 2 cores.
    fileParallelism: false,
    sequence: { groupOrder: 1 },
  },
});
