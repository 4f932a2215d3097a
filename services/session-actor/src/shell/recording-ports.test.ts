import type { GradeJob, SessionEvent, ToolJob } from '@signalbox/events';
import type { ActiveState, SessionCommand } from '@signalbox/session';
import { describe, expect, it } from 'vitest';
import type { GradeDispatch, GradePort, ModelCall, ModelPort, ToolPort } from './effect-ports.ts';
import { recordingGradePort, recordingModelPort, recordingToolPort } from './recording-ports.ts';

const meta = { v: 1, sessionId: 'original', at: 0, causationId: null, correlationId: 'original', by: { service: 'test', instance: 't' } };
const original = [
  { ...meta, id: 'e1', n: 1, type: 'tool.requested', data: { callId: 'c1', tool: 'workspace.read', input: { path: 'a.md' }, idempotencyKey: 'original/c1' } },
  { ...meta, id: 'e2', n: 2, type: 'tool.completed', data: { callId: 'c1', tool: 'workspace.read', output: 'recorded', durationMs: 3 } },
] as SessionEvent[];

const job = (callId: string, path: string): ToolJob => ({ sessionId: 'fork', correlationId: 'fork', callId, tool: 'workspace.read', input: { path }, idempotencyKey: `fork/${callId}` });

function liveTools(): ToolPort & { sent: ToolJob[] } {
  const sent: ToolJob[] = [];
  return {
    sent,
    dispatch: async (_sessionId, jobs) => {
      sent.push(...jobs);
      return [];
    },
  };
}

describe('recordingToolPort', () => {
  it("answers the original's calls from its log and sends the rest to the live port", async () => {
    const live = liveTools();
    const port = recordingToolPort(live, { of: async () => original });
    const answered = await port.dispatch('fork', [job('c1', 'a.md'), job('c2', 'b.md')]);
    expect(answered).toEqual([
      { type: 'RecordToolResult', result: { type: 'tool.result', sessionId: 'fork', callId: 'c1', tool: 'workspace.read', outcome: { status: 'completed', output: 'recorded' }, durationMs: 3 } },
    ]);
    expect(live.sent.map((sent) => sent.callId)).toEqual(['c2']);
  });

  it('sends everything live for a session that is not a hermetic fork, or a call whose input differs', async () => {
    const notFork = liveTools();
    await recordingToolPort(notFork, { of: async () => undefined }).dispatch('s', [job('c1', 'a.md')]);
    expect(notFork.sent).toHaveLength(1);
    const diverged = liveTools();
    expect(await recordingToolPort(diverged, { of: async () => original }).dispatch('fork', [job('c1', 'other.md')])).toEqual([]);
    expect(diverged.sent).toHaveLength(1);
  });
});

describe('recordingModelPort', () => {
  it('calls the live port when the original never asked the same', async () => {
    const reply: SessionCommand = { type: 'RecordModelFailure', callId: 'm1', code: 'unexpected', message: 'live', retryable: false };
    const calls: ModelCall[] = [];
    const live: ModelPort = {
      call: async (_session, call) => {
        calls.push(call);
        return reply;
      },
    };
    const call = { callId: 'm1', attempt: 1, digest: 'not-recorded', request: { model: 'm', messages: [], tools: [], maxTokens: 1 } };
    expect(await recordingModelPort(live, { of: async () => original }).call({ sessionId: 'fork' } as ActiveState, call)).toBe(reply);
    expect(calls).toEqual([call]);
  });
});

describe('recordingGradePort', () => {
  const graded = { passed: false, score: 0, verdicts: [], graders: [], changes: [], costUsd: 0 };
  const submittedLog = [
    { ...meta, id: 'e3', n: 3, type: 'outcome.submitted', data: { attempt: 1, output: 'answer', files: [] } },
    { ...meta, id: 'e4', n: 4, type: 'outcome.graded', data: { ...graded, attempt: 1, problem: 'no verdict' } },
    { ...meta, id: 'e5', n: 5, type: 'outcome.graded', data: { ...graded, attempt: 1, passed: true, score: 1 } },
  ] as SessionEvent[];
  const gradeJob = (output: string) => ({ sessionId: 'fork', correlationId: 'fork', attempt: 1, output, files: [], rubric: { criteria: [{ id: 'c1', text: 't', weight: 1, required: true }] }, outcome: {} as GradeJob['outcome'], model: 'scripted' });
  const liveGrades = (): GradePort & { sent: GradeDispatch[] } => {
    const sent: GradeDispatch[] = [];
    return { sent, dispatch: async (dispatches) => (sent.push(...dispatches), []) };
  };

  it("answers an attempt the original submitted alike with the original's grade of that round", async () => {
    const live = liveGrades();
    const port = recordingGradePort(live, { of: async () => submittedLog });
    expect(await port.dispatch([{ job: gradeJob('answer'), round: 0 }])).toEqual([{ type: 'RecordGrade', ...graded, attempt: 1, problem: 'no verdict' }]);
    expect(await port.dispatch([{ job: gradeJob('answer'), round: 1 }])).toEqual([{ type: 'RecordGrade', ...graded, attempt: 1, passed: true, score: 1 }]);
    expect(live.sent).toEqual([]);
  });

  it('sends an attempt whose output differs to the grader pool', async () => {
    const live = liveGrades();
    expect(await recordingGradePort(live, { of: async () => submittedLog }).dispatch([{ job: gradeJob('another answer'), round: 0 }])).toEqual([]);
    expect(live.sent).toHaveLength(1);
  });
});
