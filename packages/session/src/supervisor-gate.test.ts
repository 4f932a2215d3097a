import type { GateVerdict, NewEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { checkHistory } from './check-history.ts';
import type { SessionCommand } from './decide.ts';
import { agent, given, recorded, stored, tools } from './spec.ts';
import { unansweredGateVerdict } from './supervisor-gate.ts';

const gated = { ...agent, budget: { maxSteps: 10 }, supervision: { gate: { timeoutMs: 500, onNoAnswer: 'closed' as const } } };
const start = (deciderVersion?: number, supervised: typeof agent = gated): SessionCommand => ({
  type: 'StartSession',
  sessionId: 's1',
  correlationId: 's1',
  agent: supervised,
  tools,
  input: 'Find the bug',
  budget: supervised.budget,
  ...(deciderVersion === undefined ? {} : { deciderVersion }),
});
const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const reads = (step: number, ...paths: string[]): SessionCommand => ({
  type: 'RecordModelReply',
  callId: `m${step}`,
  response: { model: 'scripted', content: paths.map((path, index) => ({ type: 'tool_use' as const, id: `call_${step}_${index}`, name: 'workspace.read', input: { path } })), stopReason: 'tool_use', usage },
  costUsd: 0,
  latencyMs: 1,
});
const allow = (...callIds: string[]) => callIds.map((callId) => ({ callId, verdict: { effect: 'allow' as const, reason: 'allowed' } }));
const checked = (callIds: string[], gate?: GateVerdict[]): SessionCommand => ({ type: 'RecordPermissions', verdicts: allow(...callIds), ...(gate ? { gate } : {}) });
const proceed = (callId: string): GateVerdict => ({ callId, verdict: 'proceed' });
const stop = (callId: string, verdict: 'block' | 'pause'): GateVerdict => ({ callId, verdict, reason: 'notes.md was read 3 times unchanged', detector: 'repetition', evidence: [4, 9] });
const history = (...commands: SessionCommand[]): NewEvent[] => recorded(start(), ...commands).map(({ type, data }) => ({ type, data }) as NewEvent);

describe("the supervisor's gate (decider version 7, an agent with supervision.gate)", () => {
  it('asks the gate after the broker: the check carries the session head, the deadline and the fail choice', () => {
    given(history()).when(reads(1, 'notes.md')).then([{ type: 'model.responded' }], [{ type: 'CheckPermissions', gate: { head: 3, timeoutMs: 500, onNoAnswer: 'closed' } }]);
  });

  it('proceed: the verdict is recorded beside the permission, and the call is dispatched', () => {
    given(history(reads(1, 'notes.md')))
      .when(checked(['call_1_0'], [proceed('call_1_0')]))
      .then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'supervisor.gated', data: { callId: 'call_1_0', tool: 'workspace.read', verdict: 'proceed' } }], [{ type: 'DispatchTool' }]);
  });

  it('block: the call is answered with the reason instead of running, and the model goes on', () => {
    given(history(reads(1, 'notes.md')))
      .when(checked(['call_1_0'], [stop('call_1_0', 'block')]))
      .then(
        [
          { type: 'tool.requested' },
          { type: 'permission.granted' },
          { type: 'supervisor.gated', data: { verdict: 'block', detector: 'repetition', evidence: [4, 9] } },
          { type: 'tool.failed', data: { error: "blocked by the supervisor's repetition detector: notes.md was read 3 times unchanged" } },
          { type: 'model.requested' },
        ],
        [{ type: 'CallModel' }],
      );
  });

  it('pause: the session pauses before the call runs, once for several paused calls; the others of the reply run', () => {
    given(history(reads(1, 'a.md', 'b.md', 'c.md')))
      .when(checked(['call_1_0', 'call_1_1', 'call_1_2'], [stop('call_1_0', 'pause'), proceed('call_1_1'), stop('call_1_2', 'pause')]))
      .then(
        [
          { type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'supervisor.gated', data: { verdict: 'pause' } },
          { type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'supervisor.gated', data: { verdict: 'proceed' } },
          { type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'supervisor.gated', data: { verdict: 'pause' } },
          { type: 'session.paused', data: { by: 'supervisor:repetition', reason: expect.stringMatching(/^paused by the supervisor's repetition detector before workspace.read ran: /) } },
        ],
        [{ type: 'DispatchTool', job: { callId: 'call_1_1' } }],
      );
  });

  it('a person who resumes a paused call runs it, with its grant, without asking the gate again', () => {
    const paused = history(reads(1, 'notes.md'), checked(['call_1_0'], [stop('call_1_0', 'pause')]));
    given(paused).when({ type: 'ResumeSession', by: 'ops' }).then([{ type: 'session.resumed' }], [{ type: 'DispatchTool', job: { callId: 'call_1_0' } }]);
  });

  it('no verdict in time: the shell records the agent’s choice, marked unanswered (closed blocks, open runs)', () => {
    const closed = unansweredGateVerdict('call_1_0', { timeoutMs: 500, onNoAnswer: 'closed' });
    given(history(reads(1, 'notes.md')))
      .when(checked(['call_1_0'], [closed]))
      .then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'supervisor.gated', data: { verdict: 'block', unanswered: true } }, { type: 'tool.failed', data: { error: expect.stringMatching(/^blocked by the supervisor's gate: no supervisor answered within 500 ms/) } }, { type: 'model.requested' }]);
    const open = unansweredGateVerdict('call_1_0', { timeoutMs: 500, onNoAnswer: 'open' });
    given(history(reads(1, 'notes.md'))).when(checked(['call_1_0'], [open])).then([{ type: 'tool.requested' }, { type: 'permission.granted' }, { type: 'supervisor.gated', data: { verdict: 'proceed', unanswered: true } }], [{ type: 'DispatchTool' }]);
  });

  it('waits for a verdict for every allowed call: a check without them records nothing', () => {
    given(history(reads(1, 'a.md', 'b.md'))).when(checked(['call_1_0', 'call_1_1'], [proceed('call_1_0')])).then([]);
    given(history(reads(1, 'a.md'))).when(checked(['call_1_0'])).then([]);
  });

  it('a call the broker refuses is not put to the gate', () => {
    const refused: SessionCommand = { type: 'RecordPermissions', verdicts: [{ callId: 'call_1_0', verdict: { effect: 'deny', reason: 'no' } }] };
    given(history(reads(1, 'a.md'))).when(refused).then([{ type: 'tool.requested' }, { type: 'permission.denied' }, { type: 'tool.failed' }, { type: 'model.requested' }]);
  });

  it('a finding the gate acted on is its intervention: the same finding sent afterwards records nothing', () => {
    const blocked = history(reads(1, 'notes.md'), checked(['call_1_0'], [stop('call_1_0', 'block')]));
    given(blocked).when({ type: 'Intervene', detector: 'repetition', action: 'nudge', reason: 'again', evidence: [4, 12] }).then([]);
    given(blocked).when({ type: 'Intervene', detector: 'repetition', action: 'nudge', reason: 'a new loop', evidence: [20] }).then([{ type: 'supervisor.intervened' }]);
  });

  it('is not asked for agents without a gate, nor in sessions created under decider version 6', () => {
    const ungated = { ...gated, supervision: {} };
    const checkOf = (command: SessionCommand) => given(recorded(command).map(({ type, data }) => ({ type, data }) as NewEvent)).when(reads(1, 'a.md')).decision.effects[0];
    expect(checkOf(start(undefined, ungated))).toEqual(expect.objectContaining({ type: 'CheckPermissions' }));
    expect(checkOf(start(undefined, ungated))).not.toHaveProperty('gate');
    expect(checkOf(start(6))).not.toHaveProperty('gate');
    expect(checkOf(start())).toHaveProperty('gate');
  });

  it('replays: a log with gate verdicts passes checkHistory', () => {
    const log = stored(history(reads(1, 'a.md', 'b.md'), checked(['call_1_0', 'call_1_1'], [proceed('call_1_0'), stop('call_1_1', 'block')])));
    expect(checkHistory(log)).toMatchObject({ ok: true });
  });

  describe('before a model call (gate.modelCalls)', () => {
    const watchful = { ...gated, supervision: { gate: { modelCalls: true } } };
    const read = (step: number): SessionCommand => ({
      type: 'RecordToolResult',
      result: { type: 'tool.result', sessionId: 's1', callId: `call_${step}_0`, tool: 'workspace.read', outcome: { status: 'completed', output: 'notes' }, durationMs: 1 },
    });
    const log = (...commands: SessionCommand[]) => recorded(start(undefined, watchful), ...commands).map(({ type, data }) => ({ type, data }) as NewEvent);
    const waiting = log(reads(1, 'a.md'), checked(['call_1_0'], [proceed('call_1_0')]), read(1));
    const paused: GateVerdict = { callId: 'm2', verdict: 'pause', reason: 'three failures in a row', detector: 'error_spiral', evidence: [7] };

    it('asks the gate with the call, once the log holds its model.requested', () => {
      const before = log(reads(1, 'a.md'), checked(['call_1_0'], [proceed('call_1_0')]));
      const decision = given(before).when(read(1)).decision;
      expect(decision.events.map((event) => event.type)).toEqual(['tool.completed', 'model.requested']);
      expect(decision.effects[0]).toMatchObject({ type: 'CallModel', callId: 'm2', gate: { head: before.length + 2, modelCalls: true } });
    });

    it('a stopped call is recorded with the pause, by the detector; a person who resumes calls the model again, asking the gate', () => {
      given(waiting).when({ type: 'RecordModelGate', callId: 'm2', verdict: paused }).then([
        { type: 'supervisor.gated', data: { callId: 'm2', verdict: 'pause', detector: 'error_spiral' } },
        { type: 'session.paused', data: { by: 'supervisor:error_spiral', reason: expect.stringMatching(/^paused by the supervisor's error_spiral detector before the model was called/) } },
      ]);
      const stopped = [...waiting, ...given(waiting).when({ type: 'RecordModelGate', callId: 'm2', verdict: paused }).decision.events];
      given(stopped).when({ type: 'ResumeSession', by: 'ops' }).then([{ type: 'session.resumed' }], [{ type: 'CallModel', callId: 'm2', gate: { modelCalls: true } }]);
      given(stopped).when({ type: 'Intervene', detector: 'error_spiral', action: 'pause', reason: 'late', evidence: [7] }).then([]);
      expect(checkHistory(stored(stopped))).toMatchObject({ ok: true });
    });

    it('records nothing to proceed, for another call, or for an agent that does not gate model calls', () => {
      given(waiting).when({ type: 'RecordModelGate', callId: 'm2', verdict: { callId: 'm2', verdict: 'proceed' } }).then([]);
      given(waiting).when({ type: 'RecordModelGate', callId: 'm9', verdict: paused }).then([]);
      const toolsOnly = recorded(start(), reads(1, 'a.md'), checked(['call_1_0'], [proceed('call_1_0')])).map(({ type, data }) => ({ type, data }) as NewEvent);
      expect(given(toolsOnly).when(read(1)).decision.effects[0]).toMatchObject({ type: 'CallModel' });
      expect(given(toolsOnly).when(read(1)).decision.effects[0]).not.toHaveProperty('gate');
    });
  });
});
