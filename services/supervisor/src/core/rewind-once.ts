import type { SessionEvent, SupervisionAction } from '@signalbox/events';

/** Whether `event` starts a rewind's fork: its `session.created` carries the rewind's hint. */
export function startsRewindFork(event: SessionEvent): boolean {
  return event.type === 'session.created' && event.data.forkedFrom?.hint !== undefined;
}

/**
 * A rewind's fork is not rewound again: a model that loops past its hint would loop in every fork,
 * each a new session. A rewind for one takes the ladder's next rung instead, or a pause for a person
 * when rewind is the last.
 */
export function rewindOnce(action: SupervisionAction, ladder: readonly SupervisionAction[], rewindFork: boolean): SupervisionAction {
  if (action !== 'rewind' || !rewindFork) return action;
  return ladder.slice(ladder.indexOf('rewind') + 1).find((rung) => rung !== 'rewind') ?? 'pause';
}
