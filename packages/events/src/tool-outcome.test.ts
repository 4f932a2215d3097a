import { describe, expect, it } from 'vitest';
import type { EventType } from './catalogue.ts';
import type { ToolResult } from './commands.ts';
import { isToolOutcome, toolCallResult, toolOutcomeEvent, toolResultOf } from './tool-outcome.ts';

const call = { sessionId: 's1', callId: 'c1', tool: 'workspace.read' };
const wholeOutput = { sha256: 'a'.repeat(64), chars: 300_000 };

describe('a tool outcome, its event and its result', () => {
  it.each<[string, ToolResult]>([
    ['completed', toolCallResult(call, { status: 'completed', output: 'milk' }, 12)],
    ['completed, kept whole elsewhere', toolCallResult(call, { status: 'completed', output: 'x…', wholeOutput }, 12)],
    ['failed', toolCallResult(call, { status: 'failed', error: 'no such file' }, 3)],
    ['unknown', toolCallResult(call, { status: 'unknown', reason: 'cut off mid-run' })],
  ])('goes from result to event and back unchanged: %s', (_, result) => {
    expect(toolResultOf('s1', toolOutcomeEvent(result))).toEqual(result);
  });

  it('records each outcome as its own event type, without a duration when nobody knows it', () => {
    expect(toolOutcomeEvent(toolCallResult(call, { status: 'completed', output: 'milk' }, 12))).toEqual({
      type: 'tool.completed',
      data: { callId: 'c1', tool: 'workspace.read', output: 'milk', durationMs: 12 },
    });
    expect(toolOutcomeEvent(toolCallResult(call, { status: 'failed', error: 'no' }, 3))).toMatchObject({ type: 'tool.failed' });
    expect(toolOutcomeEvent(toolCallResult(call, { status: 'unknown', reason: 'cut off' }, 40))).toEqual({
      type: 'tool.outcome_unknown',
      data: { callId: 'c1', tool: 'workspace.read', reason: 'cut off' },
    });
  });

  it('answers a result to the session it is asked for: a fork answered from its original', () => {
    const event = toolOutcomeEvent(toolCallResult(call, { status: 'failed', error: 'no' }, 3));
    expect(toolResultOf('fork', event)).toMatchObject({ type: 'tool.result', sessionId: 'fork', callId: 'c1' });
  });

  it('tells tool outcome events from the others', () => {
    const types: EventType[] = ['tool.completed', 'tool.failed', 'tool.outcome_unknown', 'tool.requested', 'model.failed'];
    expect(types.filter((type) => isToolOutcome({ type }))).toEqual(['tool.completed', 'tool.failed', 'tool.outcome_unknown']);
  });
});
