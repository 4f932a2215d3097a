import type { NewEvent, SessionEvent, SupervisionConfig } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { gateCalls, type ProposedCall } from './gate.ts';
import { script, stored } from './spec.ts';
import { superviseEvent, superviseLog } from './supervise.ts';

const grep = { tool: 'shell.run', input: { command: 'grep -n foo src/a.py' }, output: '' };
const usage = { inputTokens: 100, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 };

/** The log so far, then a reply proposing `calls`: what the gate is asked about, at that reply. */
function proposing(history: NewEvent[], calls: ProposedCall[], config?: SupervisionConfig) {
  const content = calls.map(({ callId, tool, input }) => ({ type: 'tool_use' as const, id: callId, name: tool, input }));
  const log = stored([
    ...history,
    { type: 'model.requested', data: { callId: 'mx', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } },
    { type: 'model.responded', data: { callId: 'mx', model: 'scripted', content, stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } },
  ]);
  const { state } = superviseLog(log, config === undefined ? {} : { config });
  return { state, head: log.at(-1) as SessionEvent };
}

const again = (callId: string): ProposedCall => ({ callId, tool: grep.tool, input: grep.input });

describe("the supervisor's gate", () => {
  it('blocks a call that would complete a loop, before it runs, with the earlier calls as evidence', () => {
    const { state, head } = proposing(script().repeat(2, grep).events, [again('t3')]);
    const { verdicts } = gateCalls(state, [again('t3')], head);
    expect(verdicts).toEqual([{ callId: 't3', verdict: 'block', detector: 'repetition', reason: expect.stringMatching(/same input 3 times/), evidence: [4, 8] }]);
  });

  it('lets every call of a healthy run through', () => {
    const run = script().call({ tool: 'workspace.read', input: { path: 'a.md' }, output: 'a' }).call({ tool: 'workspace.read', input: { path: 'b.md' }, output: 'b' });
    const next = { callId: 't9', tool: 'workspace.write', input: { path: 'c.md', content: 'c' } };
    const { state, head } = proposing(run.events, [next]);
    expect(gateCalls(state, [next], head).verdicts).toEqual([{ callId: 't9', verdict: 'proceed' }]);
  });

  it('gives a call equal to a stopped one the same verdict, and lets different calls of the reply through', () => {
    const other = { callId: 't5', tool: 'workspace.read', input: { path: 'x.md' } };
    const { state, head } = proposing(script().repeat(2, grep).events, [again('t3'), other, again('t4')]);
    const { verdicts } = gateCalls(state, [again('t3'), other, again('t4')], head);
    expect(verdicts.map(({ callId, verdict }) => [callId, verdict])).toEqual([['t3', 'block'], ['t5', 'proceed'], ['t4', 'block']]);
  });

  it('names the proposing reply as evidence when the whole pattern is in the proposed calls', () => {
    const calls = [again('t1'), again('t2'), again('t3')];
    const { state, head } = proposing(script().events, calls);
    const { verdicts } = gateCalls(state, calls, head);
    expect(verdicts.map(({ verdict }) => verdict)).toEqual(['proceed', 'proceed', 'block']);
    expect(verdicts[2]?.evidence).toEqual([head.n]);
  });

  it('pauses where the ladder has climbed to a pause (an abort, too: the gate never ends a session itself)', () => {
    const { state, head } = proposing(script().repeat(2, grep).events, [again('t3')], { repetition: { action: 'pause' } });
    expect(gateCalls(state, [again('t3')], head).verdicts[0]?.verdict).toBe('pause');
    const aborting = proposing(script().repeat(2, grep).events, [again('t3')], { repetition: { action: 'abort' } });
    expect(gateCalls(aborting.state, [again('t3')], aborting.head).verdicts[0]?.verdict).toBe('pause');
  });

  it('keeps what it reported, so the call once in the log is not reported again; the calls themselves are not folded', () => {
    const history = script().repeat(2, grep).events;
    const { state, head } = proposing(history, [again('t3')]);
    const gated = gateCalls(state, [again('t3')], head).state;
    expect(gated.view).toBe(state.view);
    const requestedLater = stored([...history, { type: 'model.requested', data: { callId: 'mx', model: 'scripted', digest: 'd', digestScheme: 'message-chain', attempt: 1 } }, { type: 'model.responded', data: { callId: 'mx', model: 'scripted', content: [], stopReason: 'tool_use', usage, costUsd: 0, latencyMs: 1 } }, { type: 'tool.requested', data: { callId: 't3', tool: grep.tool, input: grep.input, idempotencyKey: 's1/t3' } }]).at(-1) as SessionEvent;
    expect(superviseEvent(gated, requestedLater).findings).toEqual([]);
    expect(superviseEvent(state, requestedLater).findings).toHaveLength(1);
  });

  it('lets everything through when the agent turned supervision off', () => {
    const { state, head } = proposing(script({ supervision: false }).repeat(2, grep).events, [again('t3')], false);
    expect(gateCalls(state, [again('t3')], head).verdicts).toEqual([{ callId: 't3', verdict: 'proceed' }]);
  });
});
