import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'bench',
    include: ['test/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // Rollout tests run a real HAProxy and several server processes: one file at a time.
    fileParallelism: false,
    // Runs last, alone: rollouts behind HAProxy with several server processes and fixed-rate load.
    sequence: { groupOrder: 3 },
  },
});
