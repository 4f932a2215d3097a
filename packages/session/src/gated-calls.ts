import type { GateVerdict, NewEvent, PermissionVerdict } from '@signalbox/events';
import { nothing, offeredTools, recordThenContinue, requestedEvent, requestedJobs, unknownToolFailure, type Decision, type SessionEffect } from './next-step.ts';
import { asksPeople, holdForApproval, isHeld } from './approvals.ts';
import { refusedCall, toolJob, verdictEvent, type CallVerdict } from './permissions.ts';
import type { ActiveState, PendingTool } from './state.ts';
import { followGate, supervisorGate } from './supervisor-gate.ts';
import { runBuiltIn } from './waits.ts';

/**
 * Records the broker's verdicts: after a reply, with the calls they are for (one append, so no call
 * is ever requested without its verdict beside it); on a session waiting for tools, as the check
 * before a re-dispatch. Granted calls are dispatched with their grant; refused ones are answered at
 * once with the reason, and the session goes on. Verdicts for calls the session is not at are ignored.
 */
export function recordVerdicts(state: ActiveState, verdicts: readonly CallVerdict[], gate: readonly GateVerdict[] = []): Decision {
  const verdictOf = new Map(verdicts.map(({ callId, verdict }) => [callId, verdict]));
  if (state.status === 'deciding' && state.after.kind === 'reply') return requestChecked(state, verdictOf, new Map(gate.map((verdict) => [verdict.callId, verdict])));
  if (state.status === 'awaiting_tools') return dispatchRechecked(state, verdictOf);
  return nothing;
}

function requestChecked(state: ActiveState, verdictOf: ReadonlyMap<string, PermissionVerdict>, gateOf: ReadonlyMap<string, GateVerdict>): Decision {
  const jobs = requestedJobs(state);
  const offered = offeredTools(state);
  // A command from an earlier reply, or missing a call: the reply's own check will come.
  if (jobs.some((job) => offered.has(job.tool) && !verdictOf.has(job.callId))) return nothing;
  // Under the supervisor's gate, an allowed call waits for its verdict too.
  const gate = supervisorGate(state) === undefined ? undefined : gateOf;
  if (gate && jobs.some((job) => verdictOf.get(job.callId)?.effect === 'allow' && !gate.has(job.callId))) return nothing;
  const gated: Gated = { recorded: [], answered: [], effects: [] };
  for (const job of jobs) {
    gated.recorded.push(requestedEvent(job));
    const verdict = verdictOf.get(job.callId);
    if (!offered.has(job.tool) || verdict === undefined) gated.answered.push(unknownToolFailure(job.callId, job.tool, [...offered]));
    else follow(state, gated, job, verdict, true, gate?.get(job.callId));
  }
  return withAnswers(state, { ...gated, answered: onePause(gated.answered) });
}

/** Several calls paused by the gate pause the session once. */
function onePause(answered: readonly NewEvent[]): NewEvent[] {
  const first = answered.findIndex((event) => event.type === 'session.paused');
  return answered.filter((event, index) => event.type !== 'session.paused' || index === first);
}

function dispatchRechecked(state: ActiveState & { status: 'awaiting_tools' }, verdictOf: ReadonlyMap<string, PermissionVerdict>): Decision {
  // A call held for a person is checked again only once approved.
  const rechecked = state.pending.filter((call) => !isHeld(call) && verdictOf.has(call.callId));
  if (rechecked.length === 0) return nothing;
  const gated: Gated = { recorded: [], answered: [], effects: [] };
  for (const call of rechecked) follow(state, gated, call, verdictOf.get(call.callId) as PermissionVerdict, false);
  return withAnswers(state, gated);
}

/** What a decision over verdicts records, answers at once, and asks the shell to do. */
interface Gated {
  recorded: NewEvent[];
  answered: NewEvent[];
  effects: SessionEffect[];
}

/**
 * Follows one verdict: an allowed call is dispatched with its grant, once the supervisor's gate lets
 * it (decider version 7 on, where the agent has one); one a policy leaves to a person is held for
 * approval (decider version 5 on) unless a person approved it already; any other is refused.
 */
function follow(state: ActiveState, gated: Gated, call: PendingTool, verdict: PermissionVerdict, firstDispatch: boolean, gateVerdict?: GateVerdict): void {
  if (verdict.effect === 'ask' && asksPeople(state) && call.approval === undefined) {
    const held = holdForApproval(state, call, verdict);
    gated.recorded.push(held.event);
    gated.effects.push(held.effect);
    return;
  }
  gated.recorded.push(verdictEvent(call, verdict));
  if (verdict.effect !== 'allow') return void gated.answered.push(refusedCall(call, verdict));
  const { recorded, answered, runs } = gateVerdict === undefined ? { recorded: [], answered: [], runs: true } : followGate(call, gateVerdict);
  gated.recorded.push(...recorded);
  gated.answered.push(...answered);
  if (!runs) return;
  // The runtime's own tools are not sent to an executor: they are answered now, or by a timer.
  const builtIn = runBuiltIn(state, { ...call, requestedAt: call.requestedAt ?? state.clock.latestAt }, gated.recorded);
  if (builtIn === undefined) gated.effects.push({ type: 'DispatchTool', job: toolJob(state, call, verdict.grant, firstDispatch) });
  else if ('answered' in builtIn) gated.answered.push(builtIn.answered);
  else {
    if ('spawned' in builtIn) gated.recorded.push(builtIn.spawned);
    gated.effects.push(...builtIn.effects);
  }
}

/** Requests and verdicts first, then the refusals' results: a result folded before its call is requested would be lost. */
function withAnswers(state: ActiveState, { recorded, answered, effects }: Gated): Decision {
  if (answered.length === 0) return { events: recorded, effects };
  const rest = recordThenContinue(state, ...recorded, ...answered);
  return { events: rest.events, effects: [...effects, ...rest.effects] };
}
