import { createHash } from 'node:crypto';
import type { ForkOrigin, NewEvent, SessionEvent } from '@signalbox/events';
import { messageCount } from './conversation.ts';
import type { Intervention } from './interventions.ts';
import { completed, nothing, type Decision } from './next-step.ts';
import { rewindFrom } from './rewind-hint.ts';
import { evolve, interventionKey, type ActiveState, type SessionState } from './state.ts';


/** Where a rewind goes: at most back to event `at`, found in the session's log up to there (which the shell reads). */
export interface RewindTarget {
  at: number;
  /** The session's first `at` events (fewer when its log is shorter). */
  log: readonly SessionEvent[];
}

/** The fork a rewind starts: its id, and the original's events it starts from, with the hint. */
export interface RewindFork {
  sessionId: string;
  from: ForkOrigin;
}

/**
 * Where the supervisor rewinds to by default: just before the first event of its evidence, which the
 * session takes back to the start of the model turn the pattern began in (see `rewindPoint`).
 */
export function rewindAt(evidence: readonly number[]): number {
  return Math.max(1, (evidence[0] ?? 1) - 1);
}

/**
 * Records a rewind (decider version 7 on): `supervisor.intervened` with where the fork starts and its
 * id, and the session's end, `aborted`, naming the fork; the shell then starts the fork. Refused
 * (nothing recorded) for the reasons `rewindRefusal` gives.
 */
export function rewind(state: ActiveState, intervention: Intervention): Decision {
  const planned = planRewind(state, intervention);
  if ('refused' in planned) return nothing;
  const { detector, reason, evidence } = intervention;
  const { sessionId: fork, from } = planned.fork;
  const intervened: NewEvent = { type: 'supervisor.intervened', data: { detector, action: 'rewind', reason, evidence, at: from.n, fork } };
  const why = `rewound by the supervisor's ${detector} detector to event ${from.n}, going on as ${fork}: ${reason}`;
  return { events: [intervened, completed(state, 'aborted', { reason: why, rewoundTo: fork })], effects: [{ type: 'StartFork', ...planned.fork }] };
}

/**
 * A rewind delivered again to the session it ended: its fork is asked for again (the shell may have
 * died between the append and the fork's request; asking twice starts one fork). Anything else: nothing.
 */
export function rewoundAgain(state: Extract<SessionState, { status: 'completed' }>, intervention: Intervention): Decision {
  if (!isRecordedRewind(state, intervention)) return nothing;
  const planned = forkOf(state.sessionId, intervention, state.n);
  return 'fork' in planned ? { events: [], effects: [{ type: 'StartFork', ...planned.fork }] } : nothing;
}

/** Why a rewind cannot be done to the session as it is, or undefined when it can (or was). */
export function rewindRefusal(state: ActiveState, intervention: Intervention): string | undefined {
  if (state.status === 'completed') return isRecordedRewind(state, intervention) ? undefined : `session ${state.sessionId} has completed (${state.outcome.status}): there is nothing to rewind`;
  const planned = planRewind(state, intervention);
  return 'refused' in planned ? planned.refused : undefined;
}

type Planned = { fork: RewindFork } | { refused: string };

function planRewind(state: ActiveState, intervention: Intervention): Planned {
  const { sessionId, deciderVersion } = state;
  if (deciderVersion < rewindFrom) return { refused: `session ${sessionId} was created under decider version ${deciderVersion}, which cannot rewind (${rewindFrom} on can); it is unchanged` };
  if (state.paused) return { refused: `session ${sessionId} is paused (by ${state.paused.by ?? 'someone unnamed'}): whoever resumes it decides what it does next; it is unchanged` };
  return forkOf(sessionId, intervention, state.n);
}

/** The fork a rewind of a session whose last event is `head` starts, from its target. */
function forkOf(sessionId: string, intervention: Intervention, head: number): Planned {
  const target = intervention.rewind;
  if (!target) return { refused: `a rewind of session ${sessionId} names no event to rewind to; it is unchanged` };
  if (!Number.isInteger(target.at) || target.at < 1 || target.at > head || target.log.length < target.at) {
    return { refused: `cannot rewind session ${sessionId} to event ${target.at}: its events are 1-${head}; it is unchanged` };
  }
  const point = rewindPoint(target.log, target.at);
  if (point === undefined) return { refused: `session ${sessionId} was about to ask its model after no event up to ${target.at}; it is unchanged` };
  const hint = intervention.reason.trim() === '' ? {} : { hint: intervention.reason };
  return { fork: { sessionId: rewindForkId(sessionId, intervention.evidence[0] ?? 0), from: { sessionId, n: point, ...hint } } };
}

function isRecordedRewind(state: Extract<SessionState, { status: 'completed' }>, intervention: Intervention): boolean {
  const first = intervention.evidence[0] ?? 0;
  return state.interventions.includes(interventionKey(intervention.detector, first)) && state.outcome.rewoundTo === rewindForkId(state.sessionId, first);
}

/**
 * The last event, up to `at`, after which the session had just formed a user message (its task, or a
 * turn's tool results) and was about to ask its model, not paused: a fork there starts a whole model
 * turn with the hint in that message, never between a reply and its calls' results.
 */
export function rewindPoint(log: readonly SessionEvent[], at: number): number | undefined {
  let state: SessionState = { status: 'new', n: 0 };
  let point: number | undefined;
  for (const event of log) {
    if (event.n > at) break;
    const before = state.status === 'new' ? 0 : messageCount(state.conversation);
    state = evolve(state, event);
    if (state.status === 'deciding' && state.after.kind === 'input' && !state.paused && messageCount(state.conversation) > before) point = event.n;
  }
  return point;
}

const maxSessionIdLength = 128;

/**
 * The fork's id, the same however often the rewind is delivered: the session's id and the first event
 * of the evidence. A session id too long for the suffix is cut, and a hash of it keeps ids apart.
 */
export function rewindForkId(sessionId: string, firstEvidence: number): string {
  const suffix = `-rewind-${firstEvidence}`;
  if (sessionId.length + suffix.length <= maxSessionIdLength) return `${sessionId}${suffix}`;
  const hash = createHash('sha256').update(sessionId).digest('hex').slice(0, 12);
  return `${sessionId.slice(0, maxSessionIdLength - suffix.length - hash.length - 1)}_${hash}${suffix}`;
}
