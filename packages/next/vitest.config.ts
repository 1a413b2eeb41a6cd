import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'next',
    include: ['test/**/*.test.ts'],
    // The first test builds examples/next (cached outside the clone: examples/next/build.mjs), ~30 s on a miss.
    // Next starts in 1-3 s on an idle machine; the forked ones get 60 s to listen when the shared cores are busy.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    sequence: { groupOrder: 1 },
  },
});
