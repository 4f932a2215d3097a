import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'templates/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/setup/nats-harness.ts'],
    setupFiles: ['./test/setup/quiet.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { LOG_LEVEL: 'silent' },
  },
});
