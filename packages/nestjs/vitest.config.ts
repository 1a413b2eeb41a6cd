import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'nestjs',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: false,
    sequence: { groupOrder: 1 },
  },
});
