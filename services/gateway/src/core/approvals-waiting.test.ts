import type { SessionIndexEntry, WaitingApproval } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { approvalsWaitingByTool } from './approvals-waiting.ts';

const approval = (tool: string, approvalId: string): WaitingApproval => ({ approvalId, callId: `call-${approvalId}`, tool, input: '{}', reason: 'a person reads every write', deadline: 1 });
const row = (sessionId: string, approvals?: WaitingApproval[]): SessionIndexEntry => ({
  sessionId,
  correlationId: sessionId,
  agent: 'careful',
  status: 'running',
  createdAt: 1,
  updatedAt: 1,
  lastN: 5,
  ...(approvals ? { approvals } : {}),
});

describe('approvals waiting', () => {
  it('counts every waiting call by its tool, across sessions', () => {
    const rows = [row('a', [approval('workspace.write', 'a1'), approval('http.fetch', 'a2')]), row('b', [approval('workspace.write', 'b1')]), row('c')];
    expect(Object.fromEntries(approvalsWaitingByTool(rows))).toEqual({ 'workspace.write': 2, 'http.fetch': 1 });
  });

  it('is empty when nothing waits (rows written before the index kept approvals, or with none)', () => {
    expect(approvalsWaitingByTool([row('a'), row('b', [])]).size).toBe(0);
  });
});
