import { DetectorName, type SessionEvent, type SupervisionAction } from '@signalbox/events';
import type { Observation, SessionView } from './session-view.ts';

/** What a detector found: the supervisor turns it into an intervention (`supervisor.intervened`). */
export interface Finding {
  detector: string;
  /** The detector's configured action; `ladderAction` climbs from it on a recurrence. */
  action: SupervisionAction;
  /** One sentence a person and the model can read. */
  reason: string;
  /** Event numbers, the first being the pattern's first event: with the detector, the intervention's id. */
  evidence: number[];
  /** How many findings this detector has made in the session, this one included (1 the first time). */
  occurrence: number;
}

/**
 * What a detector's `check` reports. `pattern` names the pattern (default: its first event's number):
 * a pattern already reported is not reported again, so a loop is found once however long it goes on.
 */
export interface Suspicion {
  reason: string;
  /** At least one event number: a suspicion without any is dropped. */
  evidence: number[];
  pattern?: string;
}

/** What a detector sees besides its own state: the session so far, the current event's meaning, its settings. */
export interface DetectorContext<Settings> {
  view: SessionView;
  observation: Observation;
  settings: Settings;
}

/**
 * A detector: a pure fold of a session's events (`evolve`) and a look at the result (`check`).
 * An event `supervisor.intervened` naming the detector ends the pattern it reported: a detector that
 * starts afresh after one finds the same loop again if it goes on, and the ladder climbs.
 */
export interface Detector<State = unknown, Settings extends object = object> {
  readonly name: string;
  /** What its findings do unless configured otherwise (`nudge` unless the definition says). */
  readonly action: SupervisionAction;
  /** Its thresholds, each overridable under `supervision:` (`detectors.<name>` for user-defined ones). */
  readonly settings: Settings;
  initial(settings: Settings): State;
  evolve(state: State, event: SessionEvent, context: DetectorContext<Settings>): State;
  check(state: State, context: DetectorContext<Settings>): Suspicion | undefined;
}

export interface DetectorDefinition<State, Settings extends object> {
  name: string;
  action?: SupervisionAction;
  settings?: Settings;
  initial: (settings: Settings) => State;
  evolve: (state: State, event: SessionEvent, context: DetectorContext<Settings>) => State;
  check: (state: State, context: DetectorContext<Settings>) => Suspicion | undefined;
}

/**
 * A detector of your own, for `initialSupervision({ detectors })`. Its name must not be a built-in's,
 * and is a `DetectorName` (lower case, digits, `_`, `-`, `.`): an intervention carries it.
 */
export function defineDetector<State, Settings extends object = Record<string, never>>(definition: DetectorDefinition<State, Settings>): Detector<State, Settings> {
  const { name, action = 'nudge', settings = {} as Settings, initial, evolve, check } = definition;
  return { name: DetectorName.parse(name), action, settings, initial, evolve, check };
}

/**
 * Whether `event` is an intervention for `detector`'s finding: the end of the pattern it reported. A
 * call the supervisor's gate blocked or paused on the detector's finding is one.
 */
export function intervenedFor(event: SessionEvent, detector: string): boolean {
  if (event.type === 'supervisor.gated') return event.data.verdict !== 'proceed' && event.data.detector === detector;
  return event.type === 'supervisor.intervened' && event.data.detector === detector;
}
