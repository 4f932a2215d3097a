import { availableParallelism } from 'node:os';
import { ms, summarise, type Summary } from './stats.ts';
import { segmentLabels, type SegmentName, type StepShape, type StepTiming } from './step-timeline.ts';

import { printSummary, verdictLine, type NamedVerdict } from './ratio-report.ts';

/** #25's targets: a step costs at most this many raw publish-acks, and at most this much more than its own I/O floor. */
export const publishAckTarget = 6;
export const floorTarget = 1.3;

/**
 * The gates a kind of session passes each tool call through: `off` (decider version 2, as sessions that
 * started before the permission gate run: no check), `permission` (the broker's check, every session
 * since), `both` (the check, then the supervisor's synchronous gate: `supervision.gate`). The `InProcess`
 * kinds are `off` and `permission` with the executor in the actor's process running the calls there
 * (SIGNALBOX_EXECUTOR_IN_PROCESS): no job or result crosses NATS.
 */
export type GateKind = 'off' | 'permission' | 'both' | 'offInProcess' | 'permissionInProcess';

export const gateLabels: Record<GateKind, string> = {
  off: 'gates off (decider v2: no permission check, no supervisor gate)',
  permission: 'permission gate on (broker check, supervisor gate off)',
  both: 'permission and supervisor gates on',
  offInProcess: 'gates off, calls run in the actor\'s process',
  permissionInProcess: 'permission gate on, calls and checks in the actor\'s process',
};

const shortLabels: Record<GateKind, string> = {
  off: 'gates off',
  permission: 'permission gate',
  both: 'both gates',
  offInProcess: 'gates off, in process',
  permissionInProcess: 'permission gate, in process',
};

/** Whether a kind's sessions are decider version 2's, with no permission check. */
export const ungated = (kind: GateKind): boolean => kind === 'off' || kind === 'offInProcess';
const inProcess = (kind: GateKind): boolean => kind === 'offInProcess' || kind === 'permissionInProcess';

/** One kind's measured sessions. */
export interface KindResults {
  kind: GateKind;
  steps: StepTiming[];
  /** Steps of the kind's first sessions in a fresh process (the first warm-up sessions): none for a kind that warms up after the others. */
  freshSteps: StepTiming[];
  /** CPU time of this process (every service, the benchmark's own waiting) per measured step. */
  cpuMsPerStep: number;
  /** Share of the measured sessions' wall time the event loop was busy. */
  loopBusy: number;
}

export interface StepOverheadResults {
  server: string;
  /** Sessions of each kind. */
  sessions: number;
  /** Sessions of each kind run before any is measured. */
  warmupSessions: number;
  stepsPerSession: number;
  publishAck: Summary;
  appendShaped: Summary;
  hop: Summary;
  /** Plain NATS request/reply to a responder that answers at once: what a permission check costs at least. */
  requestReply: Summary;
  /** In the order they were run; the first is the headline. */
  kinds: KindResults[];
  /** Steps of the sessions run with the message probe (permission gate on), for the segment split. */
  probedSteps: StepTiming[];
}

export const row = (label: string, summary: Summary, note = '') =>
  `  ${label.padEnd(34)} p50 ${ms(summary.p50).padStart(7)}  p90 ${ms(summary.p90).padStart(7)}  p99 ${ms(summary.p99).padStart(7)} ms${note}`;

export const inMs = (valuesUs: number[]) => summarise(valuesUs.map((us) => us / 1000));

/** Prints the human report, then one JSON line last. */
export function reportStepOverhead(results: StepOverheadResults): void {
  const { publishAck, appendShaped, hop, requestReply, stepsPerSession, kinds } = results;
  const [headline] = kinds;
  if (!headline) throw new Error('no kind of session was measured');
  const figures = kinds.map((kind) => figuresOf(kind, results));
  const lines = [
    `step-overhead · nats-server ${results.server} · node ${process.version} · ${availableParallelism()} cpus · ` +
      `${results.sessions} sessions × ${stepsPerSession} steps of each kind after ${results.warmupSessions} warm-up sessions; every service in this process`,
    '',
    'raw NATS, same server, between sessions (file storage, one subject, 300 B, sequential)',
    row('publish-ack (baseline)', publishAck, `   n=${publishAck.count}`),
    row('publish-ack, append-shaped', appendShaped, '   msg id + expected subject seq + header'),
    row('work-queue hop', hop, '   publish → durable pull consumer has it'),
    row('request/reply', requestReply, '   core NATS, responder answers at once'),
    '',
    'runtime step = model turn + tool round trip (consecutive model.requested `at`)',
    ...figures.flatMap(({ kind, step, fresh, floor, verdicts }) => [
      '',
      gateLabels[kind.kind],
      row('per step', step, `   n=${step.count}`),
      row('steps 1-10 of each session', inMs(kind.steps.filter((s) => s.index <= 10).map((s) => s.totalUs))),
      row(`steps ${stepsPerSession - 9}-${stepsPerSession} of each session`, inMs(kind.steps.filter((s) => s.index > stepsPerSession - 10).map((s) => s.totalUs))),
      ...(fresh.count > 0 ? [row('a fresh process, first sessions', fresh, `   n=${fresh.count}: before V8 has optimized the step's code`)] : []),
      `  node CPU ${ms(kind.cpuMsPerStep)} ms per step (all services, one process); event loop busy ${(kind.loopBusy * 100).toFixed(0)}%`,
      `  I/O floor, ${floor.what} at raw cost (no CPU, no other I/O): ${ms(floor.ms)} ms = ${(floor.ms / publishAck.p50).toFixed(1)}x publish-ack`,
      ...verdicts.map((verdict) => verdictLine(verdict.what, verdict)),
    ]),
    ...breakdown(kinds.find((kind) => kind.kind === 'permission') ?? headline, results.probedSteps),
  ];
  console.log(lines.join('\n'));
  const [first, ...more] = figures.flatMap((figure) => figure.verdicts);
  const byKind = (kind: GateKind) => figures.find((figure) => figure.kind.kind === kind);
  const perKind = (suffix: string, pick: (figure: (typeof figures)[number]) => number) =>
    Object.fromEntries(figures.map((figure) => [`${figure.kind.kind}${suffix}`, pick(figure)]));
  const permission = byKind('permission');
  printSummary(
    'step-overhead',
    first!,
    {
      headline: headline.kind,
      // The permission-gated kind's, under the name earlier commits print it: compare.ts reads it from both trees.
      ...(permission ? { stepP50Ms: permission.step.p50, cpuMsPerStep: permission.kind.cpuMsPerStep, permissionP50Ms: inMs(permission.kind.steps.map((s) => s.permissionUs)).p50 } : {}),
      ...perKind('StepP50Ms', (figure) => figure.step.p50),
      ...perKind('StepP90Ms', (figure) => figure.step.p90),
      ...Object.fromEntries(figures.filter((figure) => figure.fresh.count > 0).map((figure) => [`${figure.kind.kind}FreshStepP50Ms`, figure.fresh.p50])),
      ...perKind('FloorMs', (figure) => figure.floor.ms),
      ...perKind('CpuMsPerStep', (figure) => figure.kind.cpuMsPerStep),
      publishAckP50Ms: publishAck.p50,
      publishAckP90Ms: publishAck.p90,
      appendShapedP50Ms: appendShaped.p50,
      hopP50Ms: hop.p50,
      requestReplyP50Ms: requestReply.p50,
      steps: figures.reduce((sum, figure) => sum + figure.step.count, 0),
    },
    more,
  );
}

function figuresOf(kind: KindResults, results: StepOverheadResults) {
  const step = inMs(kind.steps.map((s) => s.totalUs));
  const fresh = inMs(kind.freshSteps.map((s) => s.totalUs));
  const floor = stepFloor(kind.kind, results);
  const short = shortLabels[kind.kind];
  const verdicts: NamedVerdict[] = [
    { what: `${short}: step p50 / publish-ack p50`, ratio: step.p50 / results.publishAck.p50, target: publishAckTarget, atLeast: false },
    { what: `${short}: step p50 / I/O floor`, ratio: step.p50 / floor.ms, target: floorTarget, atLeast: false },
  ];
  return { kind, step, fresh, floor, verdicts };
}

/** Where a step of `kind` goes, by event `at`, and by segment for the probed sessions. */
function breakdown(kind: KindResults, probedSteps: StepTiming[]): string[] {
  const half = (pick: (s: StepTiming) => number) => inMs(kind.steps.map(pick));
  return [
    '',
    `where a step goes (${gateLabels[kind.kind]}), by event \`at\``,
    row('model.requested → model.responded', half((s) => s.modelHalfUs), '   append [tool.completed, model.requested] + model call'),
    ...(ungated(kind.kind) ? [] : [row('model.responded → tool.requested', half((s) => s.permissionUs), inProcess(kind.kind) ? '   none: checked in process, in the same append' : '   append [model.responded] + permission check')]),
    row('tool.requested → tool.completed', half((s) => s.toolHalfUs), inProcess(kind.kind) ? '   append [tool.requested, …] + the call in process' : '   append [tool.requested, …] + job + executor + result'),
    ...segmentRows(probedSteps.filter((s) => s.shape === 'gated'), 'gated'),
    ...segmentRows(probedSteps.filter((s) => s.shape === 'plain'), 'plain'),
  ];
}

/**
 * The design's own I/O floor: what a step costs with no work at all between messages. The actor's
 * appends (a decision a message: two, three when gated unless the broker answers in the actor's process, whose
 * verdicts join the reply's append), the two work-queue hops (job, result) unless the
 * call runs in the actor's process, and a request/reply for each gate asked over NATS (the broker, unless
 * it answers in the actor's process; the supervisor's gate). Any other I/O (the executor's ledger write,
 * off the step's path in process) comes on top.
 */
function stepFloor(kind: GateKind, { appendShaped, hop, requestReply }: StepOverheadResults): { what: string; ms: number } {
  switch (kind) {
    case 'off':
      return { what: '2 appends + 2 hops', ms: 2 * appendShaped.p50 + 2 * hop.p50 };
    case 'permission':
      return { what: '3 appends + 2 hops + 1 request/reply', ms: 3 * appendShaped.p50 + 2 * hop.p50 + requestReply.p50 };
    case 'both':
      return { what: '3 appends + 2 hops + 2 request/replies', ms: 3 * appendShaped.p50 + 2 * hop.p50 + 2 * requestReply.p50 };
    case 'offInProcess':
      return { what: '2 appends', ms: 2 * appendShaped.p50 };
    case 'permissionInProcess':
      // The broker's verdicts go in the append of the reply that asked for them.
      return { what: '2 appends', ms: 2 * appendShaped.p50 };
  }
}

/** The segments of probed steps of one shape: medians of each, which add up to about their step's median. */
export function segmentRows(probedSteps: StepTiming[], shape: StepShape): string[] {
  const measured = probedSteps.flatMap((s) => (s.segments ? [s.segments] : []));
  if (measured.length === 0) return [];
  const labels: Partial<Record<SegmentName, string>> = segmentLabels[shape];
  const keys = Object.keys(labels) as SegmentName[];
  const summaries = keys.map((key) => inMs(measured.map((segments) => segments[key] ?? Number.NaN)));
  const sum = summaries.reduce((total, summary) => total + summary.p50, 0);
  const step = inMs(probedSteps.map((s) => s.totalUs));
  return [
    '',
    `${shape} step in ${keys.length} segments: sessions run with a probe thread (server timestamps + probe; n=${measured.length};`,
    `  their step p50 ${ms(step.p50)} ms; segment p50s sum to ${ms(sum)} ms)`,
    ...keys.map((key, index) => row(`${index + 1}. ${key}`, summaries[index] as Summary, `   ${labels[key] ?? ''}`)),
  ];
}
