import { defineConfig } from 'vitest/config';

// Unit tests only: Playwright's e2e/*.spec.ts must never be picked up here.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
  },
});
