import { describe, expect, it } from 'vitest';
import { readinessOf } from './readiness.ts';

const healthy = { started: true, draining: false, connected: true, missingStreams: [], missingConsumers: [] };

describe('readinessOf', () => {
  it('is ready when started, connected, not draining, and nothing is missing', () => {
    expect(readinessOf(healthy)).toEqual({ ready: true, reasons: [], checks: healthy });
  });

  it('is not ready while starting, draining or disconnected, and says each reason', () => {
    expect(readinessOf({ started: false, draining: true, connected: false }).reasons).toEqual(['starting', 'draining', 'not connected to NATS']);
  });

  it('names the streams and consumers that are missing', () => {
    const readiness = readinessOf({ ...healthy, missingStreams: ['stream SBX_JOBS'], missingConsumers: ['SBX_JOBS/grader', 'SBX_TASKS/session-actor-tasks'] });
    expect(readiness.ready).toBe(false);
    expect(readiness.reasons).toEqual(['missing streams: stream SBX_JOBS', 'missing consumers: SBX_JOBS/grader, SBX_TASKS/session-actor-tasks']);
  });

  it('is not ready when what is missing could not be asked', () => {
    const readiness = readinessOf({ ...healthy, missingStreams: { unknown: 'NATS did not answer within 2000 ms' } });
    expect(readiness).toMatchObject({ ready: false, reasons: ['streams could not be checked: NATS did not answer within 2000 ms'] });
  });
});
