import type { SessionEvent, SupervisionAction, SupervisionConfig } from '@signalbox/events';
import type { Detector, DetectorContext, Finding } from './detector.ts';
import { errorSpiral } from './error-spiral.ts';
import { judge } from './judge-detector.ts';
import { noProgress } from './no-progress.ts';
import { repetition } from './repetition.ts';
import { initialView, observe, type SessionView } from './session-view.ts';
import { waste } from './waste.ts';

/** The built-in detectors, on unless an agent's `supervision:` turns them off. */
export const builtInDetectors: readonly Detector[] = [repetition, noProgress, errorSpiral, waste, judge];

/** Tools whose success changes state by default, besides calls that report a workspace revision and tools not safe to run twice. */
export const defaultStateChangingTools: readonly string[] = ['*.write', '*.edit', '*.delete', '*.create', '*.move'];

export const defaultLadder: readonly SupervisionAction[] = ['nudge', 'pause', 'abort'];

export interface SupervisionOptions {
  /** Overrides the config the session's agent carries (`session.created`, `agent.supervision`). */
  config?: SupervisionConfig;
  /** User-defined detectors, run after the built-in ones. */
  detectors?: readonly Detector[];
}

interface Watching {
  detector: Detector;
  action: SupervisionAction;
  settings: object;
  state: unknown;
}

/** A session as the supervisor watches it. */
export interface SupervisionState {
  options: SupervisionOptions;
  /** False when the agent's `supervision: false` turned it off. */
  on: boolean;
  ladder: readonly SupervisionAction[];
  /** The model a `switch_model` finding moves the session to, when the agent names one. */
  switchModelTo?: string | undefined;
  view: SessionView;
  watching: readonly Watching[];
  /** Patterns reported, per detector. */
  reported: Readonly<Record<string, readonly string[]>>;
}

/** The state before a session's first event: configured by its `session.created`, or by `options.config`. */
export function initialSupervision(options: SupervisionOptions = {}): SupervisionState {
  return configured(options, options.config);
}

/** The state after `event`, and the findings it brought (a pattern is found once; an intervention starts it afresh). */
export function superviseEvent(state: SupervisionState, event: SessionEvent): { state: SupervisionState; findings: Finding[] } {
  const base = event.type === 'session.created' ? configured(state.options, state.options.config ?? event.data.agent.supervision) : state;
  const { view, observation } = observe(base.view, event);
  if (!base.on) return { state: { ...base, view }, findings: [] };
  const findings: Finding[] = [];
  let reported = base.reported;
  const watching = base.watching.map((watched) => {
    const context: DetectorContext<object> = { view, observation, settings: watched.settings };
    const detectorState = watched.detector.evolve(watched.state, event, context);
    const suspicion = watched.detector.check(detectorState, context);
    const { name } = watched.detector;
    const before = reported[name] ?? [];
    // Without evidence a finding could not be named (its intervention's id is its first event).
    const first = suspicion?.evidence[0];
    const pattern = suspicion?.pattern ?? String(first);
    if (suspicion !== undefined && first !== undefined && !before.includes(pattern)) {
      reported = { ...reported, [name]: [...before, pattern] };
      findings.push({ detector: name, action: watched.action, reason: suspicion.reason, evidence: suspicion.evidence, occurrence: before.length + 1 });
    }
    return { ...watched, state: detectorState };
  });
  return { state: { ...base, view, watching, reported }, findings };
}

/** The state after `event`, its findings dropped. */
export function evolveSupervision(state: SupervisionState, event: SessionEvent): SupervisionState {
  return superviseEvent(state, event).state;
}

/** A whole log through the detectors: the state at its end, and every finding on the way. */
export function superviseLog(events: readonly SessionEvent[], options: SupervisionOptions = {}): { state: SupervisionState; findings: Finding[] } {
  let state = initialSupervision(options);
  const findings: Finding[] = [];
  for (const event of events) {
    const step = superviseEvent(state, event);
    state = step.state;
    findings.push(...step.findings);
  }
  return { state, findings };
}

/** The action for a finding: its detector's, one rung up the ladder for each time it has recurred. */
export function ladderAction(ladder: readonly SupervisionAction[], finding: Pick<Finding, 'action' | 'occurrence'>): SupervisionAction {
  const start = Math.max(ladder.indexOf(finding.action), 0);
  return ladder[Math.min(start + finding.occurrence - 1, ladder.length - 1)] ?? finding.action;
}

function configured(options: SupervisionOptions, config: SupervisionConfig | undefined): SupervisionState {
  const view = initialView(config === false ? [] : (config?.stateChangingTools ?? defaultStateChangingTools));
  const ladder = (config === false ? undefined : config?.ladder) ?? defaultLadder;
  const detectors = [...builtInDetectors, ...(options.detectors ?? [])];
  const watching = config === false ? [] : detectors.flatMap((detector) => watchingOf(detector, config));
  const switchModelTo = config === false ? undefined : config?.switchModelTo;
  return { options, on: config !== false, ladder, switchModelTo, view, watching, reported: {} };
}

function watchingOf(detector: Detector, config: Exclude<SupervisionConfig, false> | undefined): Watching[] {
  const configuredSettings = settingsOf(detector.name, config) ?? {};
  if (configuredSettings.enabled === false) return [];
  const { enabled: _enabled, action, ...thresholds } = configuredSettings;
  const settings = { ...detector.settings, ...definedOnly(thresholds) };
  return [{ detector, action: action ?? detector.action, settings, state: detector.initial(settings) }];
}

type Configured = { enabled?: boolean | undefined; action?: SupervisionAction | undefined } & Record<string, unknown>;

function settingsOf(name: string, config: Exclude<SupervisionConfig, false> | undefined): Configured | undefined {
  if (config === undefined) return undefined;
  switch (name) {
    case 'repetition':
      return config.repetition;
    case 'no_progress':
      return config.no_progress;
    case 'error_spiral':
      return config.error_spiral;
    case 'waste':
      return config.waste;
    case 'judge':
      return config.judge;
    default:
      return config.detectors?.[name];
  }
}

function definedOnly(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}
