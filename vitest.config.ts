import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

const fault = 'test/fault/**/*.test.ts';
// Builds Signalbox's image and runs the compose stack (twenty containers): with the fault suite, alone.
const containers = 'test/deploy/containers.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['./test/setup/nats-harness.ts'],
    setupFiles: ['./test/setup/quiet.ts'],
    // At least two files at once, where vitest's default leaves one on two cores: most tests wait on
    // NATS, timers and child processes, so a second worker fills those waits (the main project took
    // 520 s instead of 872 s on the 2-core CI machine, every test passing).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for what other processes do (NATS, a browser, child processes): its default second
    // is shorter than a busy 2-core CI machine takes (a diff page of 500 rows missed it once).
    expect: { poll: { timeout: 15_000 } },
    env: { LOG_LEVEL: 'silent' },
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'templates/*/src/**/*.test.ts', 'services/gateway/console/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [fault, containers, '**/node_modules/**'],
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The fault suite kills, freezes and restarts servers and processes, and times elections: it runs
        // after everything else, one file at a time, so no other test's load skews its timing.
        extends: true,
        test: { name: 'fault', include: [fault, containers], fileParallelism: false, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
