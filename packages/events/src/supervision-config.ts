import { z } from 'zod';
import { ModelName } from './ids.ts';
import { JudgeSettings } from './judge.ts';

/**
 * An agent's `supervision:` field: which detectors watch its sessions, their thresholds, and what
 * each does when it finds something. `false` turns supervision off; an agent without the field is
 * watched with every built-in detector on at its defaults (in @signalbox/supervision).
 */

/**
 * What a detector's finding does, mildest first: a note to the model, another model (the agent's
 * `switchModelTo`), a pause for a person, a rewind (a fork from just before the pattern began, with
 * the finding as a hint; the session ends), the end of the session. The interventions a ladder climbs
 * through: a subset of `InterventionAction`.
 */
export const SupervisionAction = z.enum(['nudge', 'switch_model', 'pause', 'rewind', 'abort']);
export type SupervisionAction = z.infer<typeof SupervisionAction>;

const count = (min: number) => z.number().int().min(min).max(10_000);

/** Every detector's switch and action; thresholds left out keep their defaults. */
export const DetectorSettings = z.strictObject({ enabled: z.boolean().optional(), action: SupervisionAction.optional() });
export type DetectorSettings = z.infer<typeof DetectorSettings>;

export const RepetitionSettings = DetectorSettings.extend({
  /** The same call (tool and whitespace-normalised input) this many times with no state change between. */
  repeats: count(2).optional(),
  /** ...within this many calls. */
  window: count(2).optional(),
  /** The longest block of calls whose back-to-back repeats count as a loop. */
  maxPeriod: count(1).optional(),
  /** The same model reply text this many times; 0 turns that check off. */
  replyRepeats: z.number().int().min(0).max(10_000).optional(),
  /** Shorter replies ("Done.") are not compared. */
  minReplyChars: count(1).optional(),
});
export type RepetitionSettings = z.infer<typeof RepetitionSettings>;

export const NoProgressSettings = DetectorSettings.extend({
  /** Model turns in a row whose tool calls brought no output not seen before and changed nothing. */
  steps: count(2).optional(),
});
export type NoProgressSettings = z.infer<typeof NoProgressSettings>;

export const ErrorSpiralSettings = DetectorSettings.extend({
  /** Failed attempts in a row (a model turn's calls are one attempt; a model call's retries are one). */
  failuresInARow: count(2).optional(),
  /** The same error (tool and normalised message) this many times... */
  sameError: count(2).optional(),
  /** ...within this many model turns. */
  sameErrorWindow: count(1).optional(),
});
export type ErrorSpiralSettings = z.infer<typeof ErrorSpiralSettings>;

export const WasteSettings = DetectorSettings.extend({
  /** The recent rate is measured over this many model turns (k)... */
  rateWindow: count(1).optional(),
  /** ...and flagged when it would exhaust the cost or wall-clock budget within this many more (m). */
  horizon: count(1).optional(),
  /** An output at least this long (characters)... */
  largeOutputChars: count(1).optional(),
  /** ...seen this many times. */
  largeOutputReads: count(2).optional(),
});
export type WasteSettings = z.infer<typeof WasteSettings>;

/**
 * The synchronous gate: the session actor asks the supervisor before each reply's tool calls run, and
 * waits for its verdict (decider version 7 on). `true` is `{}`: every default.
 */
export const GateSettings = z.strictObject({
  /** How long the actor waits for a supervisor's verdict. */
  timeoutMs: z.number().int().min(10).max(60_000).optional(),
  /** With no verdict in time: `open` runs the calls, `closed` answers them as blocked. */
  onNoAnswer: z.enum(['open', 'closed']).optional(),
  /** Ask before each model call too: the supervisor pauses the session there when a finding it sent, whose rung is a pause or an abort, is not in the log yet. */
  modelCalls: z.boolean().optional(),
});
export type GateSettings = z.infer<typeof GateSettings>;
export const StalledSettings = DetectorSettings.extend({
  /** A running session that records no event for this long (ms) is re-driven once, then flagged. */
  afterMs: z.number().int().min(1_000).max(7 * 24 * 3_600_000).optional(),
});
export type StalledSettings = z.infer<typeof StalledSettings>;

/** Settings of detectors users define (`defineDetector`), by name: the switch, the action and their own thresholds. */
const CustomDetectorSettings = z.looseObject({ enabled: z.boolean().optional(), action: SupervisionAction.optional() });

export const SupervisionConfig = z.union([
  z.literal(false),
  z.strictObject({
    repetition: RepetitionSettings.optional(),
    no_progress: NoProgressSettings.optional(),
    error_spiral: ErrorSpiralSettings.optional(),
    waste: WasteSettings.optional(),
    /** A model judging the trajectory against the goal every few turns: on when it names a model. */
    judge: JudgeSettings.optional(),
    stalled: StalledSettings.optional(),
    /**
     * Tools (globs, `*` any characters) whose success changes state, besides any call that reports a
     * workspace revision and any tool not safe to run twice: the same call again after one is no loop.
     */
    stateChangingTools: z.array(z.string().min(1).max(200)).max(100).optional(),
    /** Detectors defined in TypeScript, by name. */
    detectors: z.record(z.string().min(1).max(100), CustomDetectorSettings).optional(),
    /** The actions a recurring finding climbs through, one a recurrence (default nudge, pause, abort). */
    ladder: z.array(SupervisionAction).min(1).max(10).optional(),
    /** The model a `switch_model` intervention moves the session to (a stronger one, say). */
    switchModelTo: ModelName.optional(),
    /** Ask the supervisor before each reply's tool calls run (off by default: it adds a round trip a step). */
    gate: z.union([z.boolean(), GateSettings]).optional(),
  }).refine((config) => config.switchModelTo !== undefined || !namesSwitchModel(config), {
    message: 'a ladder or detector that switches models needs switchModelTo: the model to switch to',
    path: ['switchModelTo'],
  }),
]);

/** Whether the ladder or any detector's action is `switch_model`. */
function namesSwitchModel(config: { ladder?: readonly string[] | undefined } & Record<string, unknown>): boolean {
  const actions = Object.values(config).flatMap((value) => (typeof value === 'object' && value !== null && 'action' in value ? [value.action] : []));
  const custom = Object.values((config['detectors'] ?? {}) as Record<string, { action?: string }>).map((settings) => settings.action);
  return [...(config.ladder ?? []), ...actions, ...custom].includes('switch_model');
}
export type SupervisionConfig = z.infer<typeof SupervisionConfig>;
