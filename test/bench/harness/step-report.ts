import { availableParallelism } from 'node:os';
import { ms, rounded, summarise, type Summary } from './stats.ts';
import { segmentLabels, type Segments, type StepTiming } from './step-timeline.ts';

/** The project's target: a step costs at most this many raw publish-acks. */
export const targetRatio = 6;

export interface StepOverheadResults {
  server: string;
  sessions: number;
  stepsPerSession: number;
  publishAck: Summary;
  appendShaped: Summary;
  hop: Summary;
  steps: StepTiming[];
  /** Steps of the sessions run with the message probe, for the segment split. */
  probedSteps: StepTiming[];
  /** CPU time of this process (every service, the benchmark's own waiting) per measured step. */
  cpuMsPerStep: number;
  /** Share of the measured sessions' wall time the event loop was busy. */
  loopBusy: number;
}

const row = (label: string, summary: Summary, note = '') =>
  `  ${label.padEnd(34)} p50 ${ms(summary.p50).padStart(7)}  p90 ${ms(summary.p90).padStart(7)}  p99 ${ms(summary.p99).padStart(7)} ms${note}`;

const inMs = (valuesUs: number[]) => summarise(valuesUs.map((us) => us / 1000));

/** Prints the human report, then one JSON line last. */
export function reportStepOverhead(results: StepOverheadResults): void {
  const { publishAck, appendShaped, hop, steps, stepsPerSession } = results;
  const step = inMs(steps.map((s) => s.totalUs));
  const ratio = step.p50 / publishAck.p50;
  const early = inMs(steps.filter((s) => s.index <= 10).map((s) => s.totalUs));
  const late = inMs(steps.filter((s) => s.index > stepsPerSession - 10).map((s) => s.totalUs));
  const modelHalf = inMs(steps.map((s) => s.modelHalfUs));
  const toolHalf = inMs(steps.map((s) => s.toolHalfUs));
  // What a step costs with no work at all between messages: the actor's two appends (a decision a
  // message) and the two work-queue hops (job, result). Any other I/O on the path (the executor's
  // ledger) comes on top.
  const floorMs = 2 * appendShaped.p50 + 2 * hop.p50;
  const lines = [
    `step-overhead · nats-server ${results.server} · node ${process.version} · ${availableParallelism()} cpus · ` +
      `${results.sessions} sessions × ${stepsPerSession} steps after 1 warm-up`,
    '',
    'raw JetStream, same server, between sessions (file storage, one subject, 300 B, sequential)',
    row('publish-ack (baseline)', publishAck, `   n=${publishAck.count}`),
    row('publish-ack, append-shaped', appendShaped, '   msg id + expected subject seq + header'),
    row('work-queue hop', hop, '   publish → durable pull consumer has it'),
    '',
    'runtime step = model turn + tool round trip (consecutive model.requested `at`)',
    row('per step', step, `   n=${step.count}`),
    row('steps 1-10 of each session', early),
    row(`steps ${stepsPerSession - 9}-${stepsPerSession} of each session`, late),
    `  node CPU ${ms(results.cpuMsPerStep)} ms per step (all services, one process); event loop busy ${(results.loopBusy * 100).toFixed(0)}%`,
    `  floor, 2 appends + 2 hops at raw cost (no CPU, no other I/O): ${ms(floorMs)} ms = ${(floorMs / publishAck.p50).toFixed(1)}x publish-ack`,
    '',
    `ratio  step p50 / publish-ack p50 = ${ratio.toFixed(2)}x   target ≤ ${targetRatio}x: ${ratio <= targetRatio ? 'met' : 'NOT met'}`,
    '',
    'where a step goes, by event `at`',
    row('model.requested → model.responded', modelHalf, '   append [tool.completed, model.requested] + model call'),
    row('tool.requested → tool.completed', toolHalf, '   append [model.responded, tool.requested] + job + executor + result'),
    ...segmentRows(results.probedSteps),
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
      modelHalfP50Ms: rounded(modelHalf.p50),
      toolHalfP50Ms: rounded(toolHalf.p50),
      cpuMsPerStep: rounded(results.cpuMsPerStep),
      steps: step.count,
    }),
  );
}

/** The six segments of the probed sessions: medians of each, which add up to about their step's median. */
function segmentRows(probedSteps: StepTiming[]): string[] {
  const measured = probedSteps.flatMap((s) => (s.segments ? [s.segments] : []));
  if (measured.length === 0) return [];
  const keys = Object.keys(segmentLabels) as (keyof Segments)[];
  const summaries = keys.map((key) => inMs(measured.map((segments) => segments[key])));
  const sum = summaries.reduce((total, summary) => total + summary.p50, 0);
  const step = inMs(probedSteps.map((s) => s.totalUs));
  return [
    '',
    `step in six segments: sessions run with a probe thread (server timestamps + probe; n=${measured.length};`,
    `  their step p50 ${ms(step.p50)} ms; segment p50s sum to ${ms(sum)} ms)`,
    ...keys.map((key, index) => row(`${index + 1}. ${key}`, summaries[index] as Summary, `   ${segmentLabels[key]}`)),
  ];
}
