import type { NewEvent, PermissionVerdict } from '@signalbox/events';
import { nothing, offeredTools, recordThenContinue, requestedEvent, requestedJobs, unknownToolFailure, type Decision, type SessionEffect } from './next-step.ts';
import { refusedCall, toolJob, verdictEvent, type CallVerdict } from './permissions.ts';
import type { ActiveState, PendingTool } from './state.ts';

/**
 * Records the broker's verdicts: after a reply, with the calls they are for (one append, so no call
 * is ever requested without its verdict beside it); on a session waiting for tools, as the check
 * before a re-dispatch. Granted calls are dispatched with their grant; refused ones are answered at
 * once with the reason, and the session goes on. Verdicts for calls the session is not at are ignored.
 */
export function recordVerdicts(state: ActiveState, verdicts: readonly CallVerdict[]): Decision {
  const verdictOf = new Map(verdicts.map(({ callId, verdict }) => [callId, verdict]));
  if (state.status === 'deciding' && state.after.kind === 'reply') return requestChecked(state, verdictOf);
  if (state.status === 'awaiting_tools') return dispatchRechecked(state, verdictOf);
  return nothing;
}

function requestChecked(state: ActiveState, verdictOf: ReadonlyMap<string, PermissionVerdict>): Decision {
  const jobs = requestedJobs(state);
  const offered = offeredTools(state);
  // A command from an earlier reply, or missing a call: the reply's own check will come.
  if (jobs.some((job) => offered.has(job.tool) && !verdictOf.has(job.callId))) return nothing;
  const recorded: NewEvent[] = [];
  const answered: NewEvent[] = [];
  const effects: SessionEffect[] = [];
  for (const job of jobs) {
    recorded.push(requestedEvent(job));
    const verdict = verdictOf.get(job.callId);
    if (!offered.has(job.tool) || verdict === undefined) {
      answered.push(unknownToolFailure(job.callId, job.tool, [...offered]));
      continue;
    }
    recorded.push(verdictEvent(job, verdict));
    if (verdict.effect === 'allow') effects.push({ type: 'DispatchTool', job: toolJob(state, job, verdict.grant, true) });
    else answered.push(refusedCall(job, verdict));
  }
  return withAnswers(state, recorded, answered, effects);
}

function dispatchRechecked(state: ActiveState & { status: 'awaiting_tools' }, verdictOf: ReadonlyMap<string, PermissionVerdict>): Decision {
  const rechecked = state.pending.flatMap((call): [PendingTool, PermissionVerdict][] => {
    const verdict = verdictOf.get(call.callId);
    return verdict === undefined ? [] : [[call, verdict]];
  });
  if (rechecked.length === 0) return nothing;
  const effects = rechecked.flatMap(([call, verdict]): SessionEffect[] => (verdict.effect === 'allow' ? [{ type: 'DispatchTool', job: toolJob(state, call, verdict.grant, false) }] : []));
  const answered = rechecked.flatMap(([call, verdict]) => (verdict.effect === 'allow' ? [] : [refusedCall(call, verdict)]));
  return withAnswers(state, rechecked.map(([call, verdict]) => verdictEvent(call, verdict)), answered, effects);
}

/** Requests and verdicts first, then the refusals' results: a result folded before its call is requested would be lost. */
function withAnswers(state: ActiveState, recorded: NewEvent[], answered: NewEvent[], effects: SessionEffect[]): Decision {
  if (answered.length === 0) return { events: recorded, effects };
  const rest = recordThenContinue(state, ...recorded, ...answered);
  return { events: rest.events, effects: [...effects, ...rest.effects] };
}
