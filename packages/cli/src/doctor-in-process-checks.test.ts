import { configFromEnv } from '@signalbox/runtime';
import { describe, expect, it } from 'vitest';
import { inProcessFindings } from './doctor-in-process-checks.ts';

describe('inProcessFindings', () => {
  it('says calls go over the jobs stream with the setting off', () => {
    expect(inProcessFindings(false)).toEqual([{ level: 'ok', message: expect.stringMatching(/^tool calls go over the jobs stream/) as string }]);
  });

  it('says which processes run calls themselves with it on', () => {
    expect(inProcessFindings(true)).toEqual([{ level: 'ok', message: expect.stringContaining('runs the first dispatch of each idempotent call itself') as string }]);
  });

  it('reads the setting from the environment, and refuses a value that is not a boolean, naming the variable', () => {
    expect(configFromEnv({ SIGNALBOX_EXECUTOR_IN_PROCESS: 'true' }).toolExecutor.inProcess).toBe(true);
    expect(configFromEnv({}).toolExecutor.inProcess).toBe(false);
    expect(() => configFromEnv({ SIGNALBOX_EXECUTOR_IN_PROCESS: 'sometimes' })).toThrow(/SIGNALBOX_EXECUTOR_IN_PROCESS/);
  });
});
