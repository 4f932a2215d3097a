import { availableParallelism } from 'node:os';
import { ms, rounded, summarise, type Summary } from './stats.ts';
import { segmentLabels, type SegmentName, type StepShape, type StepTiming } from './step-timeline.ts';

/** The project's target: a step costs at most this many raw publish-acks. */
export const targetRatio = 6;

export interface StepOverheadResults {
  server: string;
  sessions: number;
  stepsPerSession: number;
  publishAck: Summary;
  appendShaped: Summary;
  hop: Summary;
  /** Plain NATS request/reply to a responder that answers at once: what a permission check costs at least. */
  requestReply: Summary;
  steps: StepTiming[];
  /** Steps of the sessions run with the message probe, for the segment split. */
  probedSteps: StepTiming[];
  /** CPU time of this process (every service, the benchmark's own waiting) per measured step. */
  cpuMsPerStep: number;
  /** Share of the measured sessions' wall time the event loop was busy. */
  loopBusy: number;
}

export const row = (label: string, summary: Summary, note = '') =>
  `  ${label.padEnd(34)} p50 ${ms(summary.p50).padStart(7)}  p90 ${ms(summary.p90).padStart(7)}  p99 ${ms(summary.p99).padStart(7)} ms${note}`;

export const inMs = (valuesUs: number[]) => summarise(valuesUs.map((us) => us / 1000));

/** Prints the human report, then one JSON line last. */
export function reportStepOverhead(results: StepOverheadResults): void {
  const { publishAck, appendShaped, hop, requestReply, steps, stepsPerSession } = results;
  const step = inMs(steps.map((s) => s.totalUs));
  const ratio = step.p50 / publishAck.p50;
  const early = inMs(steps.filter((s) => s.index <= 10).map((s) => s.totalUs));
  const late = inMs(steps.filter((s) => s.index > stepsPerSession - 10).map((s) => s.totalUs));
  const modelHalf = inMs(steps.map((s) => s.modelHalfUs));
  const permission = inMs(steps.map((s) => s.permissionUs));
  const toolHalf = inMs(steps.map((s) => s.toolHalfUs));
  const gated = steps.filter((s) => s.shape === 'gated').length;
  const floor = stepFloor(gated > steps.length / 2 ? 'gated' : 'plain', results);
  const lines = [
    `step-overhead · nats-server ${results.server} · node ${process.version} · ${availableParallelism()} cpus · ` +
      `${results.sessions} sessions × ${stepsPerSession} steps after 1 warm-up`,
    '',
    'raw NATS, same server, between sessions (file storage, one subject, 300 B, sequential)',
    row('publish-ack (baseline)', publishAck, `   n=${publishAck.count}`),
    row('publish-ack, append-shaped', appendShaped, '   msg id + expected subject seq + header'),
    row('work-queue hop', hop, '   publish → durable pull consumer has it'),
    row('request/reply', requestReply, '   core NATS, responder answers at once'),
    '',
    `runtime step = model turn + tool round trip (consecutive model.requested \`at\`); ${gated} of ${steps.length} steps permission-gated`,
    row('per step', step, `   n=${step.count}`),
    row('steps 1-10 of each session', early),
    row(`steps ${stepsPerSession - 9}-${stepsPerSession} of each session`, late),
    `  node CPU ${ms(results.cpuMsPerStep)} ms per step (all services, one process); event loop busy ${(results.loopBusy * 100).toFixed(0)}%`,
    `  floor, ${floor.what} at raw cost (no CPU, no other I/O): ${ms(floor.ms)} ms = ${(floor.ms / publishAck.p50).toFixed(1)}x publish-ack`,
    '',
    `ratio  step p50 / publish-ack p50 = ${ratio.toFixed(2)}x   target ≤ ${targetRatio}x: ${ratio <= targetRatio ? 'met' : 'NOT met'}`,
    '',
    'where a step goes, by event `at`',
    row('model.requested → model.responded', modelHalf, '   append [tool.completed, model.requested] + model call'),
    ...(gated > 0 ? [row('model.responded → tool.requested', permission, '   append [model.responded] + permission check (0 when not gated)')] : []),
    row('tool.requested → tool.completed', toolHalf, '   append [tool.requested, …] + job + executor + result'),
    ...segmentRows(results.probedSteps.filter((s) => s.shape === 'gated'), 'gated'),
    ...segmentRows(results.probedSteps.filter((s) => s.shape === 'plain'), 'plain'),
  ];
  console.log(lines.join('\n'));
  console.log(
    JSON.stringify({
      bench: 'step-overhead',
      ratio: rounded(ratio, 2),
      target: targetRatio,
      met: ratio <= targetRatio,
      stepP50Ms: rounded(step.p50),
      stepP90Ms: rounded(step.p90),
      stepP99Ms: rounded(step.p99),
      publishAckP50Ms: rounded(publishAck.p50),
      publishAckP90Ms: rounded(publishAck.p90),
      publishAckP99Ms: rounded(publishAck.p99),
      appendShapedP50Ms: rounded(appendShaped.p50),
      hopP50Ms: rounded(hop.p50),
      requestReplyP50Ms: rounded(requestReply.p50),
      modelHalfP50Ms: rounded(modelHalf.p50),
      permissionP50Ms: rounded(permission.p50),
      toolHalfP50Ms: rounded(toolHalf.p50),
      cpuMsPerStep: rounded(results.cpuMsPerStep),
      steps: step.count,
      gatedSteps: gated,
    }),
  );
}

/**
 * What a step costs with no work at all between messages: the actor's appends (a decision a message:
 * two, three when gated, whose check is a request/reply besides) and the two work-queue hops (job,
 * result). Any other I/O on the path (the executor's ledger) comes on top.
 */
function stepFloor(shape: StepShape, { appendShaped, hop, requestReply }: StepOverheadResults): { what: string; ms: number } {
  if (shape === 'plain') return { what: '2 appends + 2 hops', ms: 2 * appendShaped.p50 + 2 * hop.p50 };
  return { what: '3 appends + 2 hops + 1 request/reply', ms: 3 * appendShaped.p50 + 2 * hop.p50 + requestReply.p50 };
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
