import type { PermissionCheck } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { InProcessPermissions } from './in-process-permissions.ts';

const check: PermissionCheck = { sessionId: 's', callId: 'c1', tool: 'kb.lookup', input: {}, agent: { name: 'a', tools: ['kb.lookup'] } };

describe('InProcessPermissions', () => {
  it('answers nothing while no broker serves it: every check goes over NATS', () => {
    expect(new InProcessPermissions().answer(check, undefined)).toBeUndefined();
  });

  it("asks the first broker that serves, with the step's trace context", () => {
    const permissions = new InProcessPermissions();
    permissions.serve((asked, traceparent) => ({ verdict: { effect: 'allow', reason: `first ${asked.callId} ${traceparent}` } }));
    permissions.serve(() => ({ error: 'second' }));
    expect(permissions.answer(check, '00-trace')).toEqual({ verdict: { effect: 'allow', reason: 'first c1 00-trace' } });
  });

  it('stops asking a broker that stopped serving, and asks the next', () => {
    const permissions = new InProcessPermissions();
    const stop = permissions.serve(() => ({ error: 'first' }));
    permissions.serve(() => ({ error: 'second' }));
    stop();
    stop();
    expect(permissions.answer(check, undefined)).toEqual({ error: 'second' });
  });
});
