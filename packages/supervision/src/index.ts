export { defineDetector, intervenedFor } from './detector.ts';
export type { Detector, DetectorContext, DetectorDefinition, Finding, Suspicion } from './detector.ts';
export { errorKind, errorSpiral } from './error-spiral.ts';
export type { ErrorSpiralThresholds } from './error-spiral.ts';
export { gateCalls } from './gate.ts';
export type { ProposedCall } from './gate.ts';
export { judge } from './judge-detector.ts';
export { builtInRubric, judgeRequest, readVerdict } from './judge-request.ts';
export type { JudgeBrief, ReadVerdict } from './judge-request.ts';
export { judgeDefaults, judgePlanOf, scheduleJudge, unscheduled } from './judge-schedule.ts';
export type { JudgeCall, JudgePlan, JudgeSchedule } from './judge-schedule.ts';
export { noProgress } from './no-progress.ts';
export type { NoProgressThresholds } from './no-progress.ts';
export { repetition } from './repetition.ts';
export type { RepetitionThresholds } from './repetition.ts';
export type { Call, Observation, SessionView } from './session-view.ts';
export { stalledDefaults, stalledSettingsOf } from './stalled.ts';
export type { StalledThresholds } from './stalled.ts';
export {
  builtInDetectors,
  defaultLadder,
  defaultStateChangingTools,
  evolveSupervision,
  initialSupervision,
  ladderAction,
  superviseEvent,
  superviseLog,
} from './supervise.ts';
export type { SupervisionOptions, SupervisionState } from './supervise.ts';
export { callKey, digest, normalisedText } from './text.ts';
export { maxEventChars, renderTrajectory, trajectoryTag } from './trajectory.ts';
export { waste } from './waste.ts';
export type { WasteThresholds } from './waste.ts';
