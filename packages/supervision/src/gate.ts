import type { EventMeta, GateVerdict, GateVerdictKind, SessionEvent, SupervisionAction } from '@signalbox/events';
import type { Finding } from './detector.ts';
import { ladderAction, superviseEvent, type SupervisionState } from './supervise.ts';
import { callKey } from './text.ts';

/** A tool call a session's last reply proposes, before it is requested. */
export interface ProposedCall {
  callId: string;
  tool: string;
  input: unknown;
}

/** The gate never ends a session itself: a finding whose rung is a pause or an abort pauses it, and a person decides. */
const pausing: readonly SupervisionAction[] = ['pause', 'abort'];
const maxReasonChars = 2_000;

/**
 * The supervisor's gate (`supervision.gate`): each proposed call is supervised as though it were
 * requested next, after `head` (the last event folded) and the calls before it. A call that would
 * complete a detector's finding is blocked — the model reads the reason, as it would a nudge — or,
 * where the agent's ladder has reached a pause or an abort, pauses the session before it runs. A later
 * call equal to a stopped one (same tool, same input) gets the same verdict.
 *
 * The state that comes back holds what the detectors reported (so the finding is not sent again as an
 * intervention once the call is in the log), not the calls: they are folded when the log records them.
 */
export function gateCalls(state: SupervisionState, calls: readonly ProposedCall[], head: EventMeta): { state: SupervisionState; verdicts: GateVerdict[] } {
  if (!state.on) return { state, verdicts: calls.map(({ callId }) => ({ callId, verdict: 'proceed' })) };
  let simulated = state;
  const stopped = new Map<string, GateVerdict>();
  const verdicts = calls.map((call, index): GateVerdict => {
    const key = callKey(call.tool, call.input);
    const same = stopped.get(key);
    if (same) return { ...same, callId: call.callId };
    const step = superviseEvent(simulated, requested(head, call, head.n + 1 + index));
    simulated = step.state;
    const finding = mostSevere(state, step.findings);
    if (!finding) return { callId: call.callId, verdict: 'proceed' };
    const verdict = stop(state, finding, call.callId, head.n);
    stopped.set(key, verdict);
    return verdict;
  });
  return { state: { ...state, reported: simulated.reported }, verdicts };
}

function requested(head: EventMeta, call: ProposedCall, n: number): SessionEvent {
  const { callId, tool, input } = call;
  return { ...head, id: `${head.id}/gate/${callId}`, n, v: 1, type: 'tool.requested', data: { callId, tool, input, idempotencyKey: `${head.sessionId}/${callId}` } };
}

function stop(state: SupervisionState, finding: Finding, callId: string, headN: number): GateVerdict {
  const kind: GateVerdictKind = pausing.includes(ladderAction(state.ladder, finding)) ? 'pause' : 'block';
  // Evidence names events of the log: the proposed calls are not in it yet, so the reply that proposed them stands for them.
  const logged = finding.evidence.filter((n) => n <= headN);
  const evidence = (logged.length > 0 ? logged : [headN]).slice(0, 100);
  const reason = finding.reason.length <= maxReasonChars ? finding.reason : `${finding.reason.slice(0, maxReasonChars - 1)}…`;
  return { callId, verdict: kind, reason, detector: finding.detector, evidence };
}

function mostSevere(state: SupervisionState, findings: readonly Finding[]): Finding | undefined {
  const rank = (finding: Finding) => (pausing.includes(ladderAction(state.ladder, finding)) ? 1 : 0);
  return [...findings].sort((a, b) => rank(b) - rank(a))[0];
}
