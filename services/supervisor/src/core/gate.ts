import type { GateVerdict, SupervisorGateRequest } from '@signalbox/events';
import { gateCalls, type ProposedCall } from '@signalbox/supervision';
import type { WatchedSession } from './watch.ts';

/**
 * The gate's answer to a request about a session this replica has folded up to the request's head:
 * the detectors' verdicts on the calls of the session's last reply (`gateCalls`). A call the reply did
 * not propose (this replica's view and the actor's disagree) is let through: the gate stops only what
 * a detector found. A model call (`gate.modelCalls`) is paused while an intervention that pauses or
 * ends the session is on its way.
 */
export function answerGate(session: WatchedSession, request: SupervisorGateRequest): { session: WatchedSession; verdicts: GateVerdict[] } {
  if (request.modelCall) return { session, verdicts: [modelCallVerdict(session, request.modelCall.callId)] };
  const proposed = new Map(session.proposed.map((call) => [call.callId, call]));
  const known = request.calls.flatMap((call): ProposedCall[] => {
    const found = proposed.get(call.callId);
    return found !== undefined && found.tool === call.tool ? [found] : [];
  });
  const { state, verdicts } = gateCalls(session.supervision, known, session.head);
  const byCall = new Map(verdicts.map((verdict) => [verdict.callId, verdict]));
  return {
    session: { ...session, supervision: state },
    verdicts: request.calls.map(({ callId }) => byCall.get(callId) ?? { callId, verdict: 'proceed' }),
  };
}

/**
 * A model call waits while an intervention that pauses or ends the session is on its way (sent, not
 * yet in the log): it is paused on that finding, which the actor then records once.
 */
function modelCallVerdict(session: WatchedSession, callId: string): GateVerdict {
  const pending = session.unacted?.[0];
  if (pending === undefined) return { callId, verdict: 'proceed' };
  return { callId, verdict: 'pause', reason: pending.message, detector: pending.detector, evidence: pending.evidence };
}
