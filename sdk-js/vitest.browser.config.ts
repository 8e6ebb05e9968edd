import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the demo in headless Chromium against `caas serve --demo`.
// Not part of `npm test`, which needs no browser and no server.
export default defineConfig({
  test: {
    include: ['browser/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
