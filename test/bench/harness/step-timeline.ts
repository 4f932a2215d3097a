import type { StoredEvent } from './runtime.ts';

/**
 * Where one step's time went, in µs on the benchmark's clock. A step runs from one `model.requested`
 * to the next; the six segments follow each other and add up to the step.
 */
export interface StepTiming {
  /** 1-based position of the step in its session. */
  index: number;
  totalUs: number;
  /** `model.requested` → `model.responded` by their `at` stamps. */
  modelHalfUs: number;
  /** `model.responded` (= `tool.requested`) → `tool.completed` (= next `model.requested`) by their `at` stamps. */
  toolHalfUs: number;
  /** Present when the server clock offset and both probes are known. */
  segments: Segments | undefined;
}

export const segmentLabels = {
  appendFirst: 'append tool.completed + model.requested (one message, not yet acked)',
  modelCall: 'ack back, fold, scripted model call, decide reply',
  appendSecond: 'append model.responded + tool.requested (one message, not yet acked)',
  dispatch: 'ack back, fold, publish tool job (until it passes the server)',
  executor: 'job stored + delivered, executor decodes, runs, publishes result',
  resultToActor: 'result stored + delivered to actor, decode, lock, decide, stamp',
} as const;
export type Segments = Record<keyof typeof segmentLabels, number>;

export interface TimelineInputs {
  /** Server timestamps minus this are on the benchmark's clock. */
  serverOffsetUs: number | undefined;
  /** When the probe thread saw each job (by idempotency key) and tool result (key + `/result`) pass, µs. */
  probed: ReadonlyMap<string, number> | undefined;
}

/** The steps of one session whose log has the plain shape: requested, responded, tool requested, tool completed, next requested. */
export function stepTimings(log: readonly StoredEvent[], inputs: TimelineInputs): StepTiming[] {
  const steps: StepTiming[] = [];
  for (let position = 0; position + 4 < log.length; position++) {
    const [requested, responded, toolRequested, toolCompleted, next] = log.slice(position, position + 5);
    if (
      requested?.event.type !== 'model.requested' ||
      responded?.event.type !== 'model.responded' ||
      toolRequested?.event.type !== 'tool.requested' ||
      toolCompleted?.event.type !== 'tool.completed' ||
      next?.event.type !== 'model.requested'
    ) {
      continue;
    }
    const key = toolRequested.event.data.idempotencyKey;
    steps.push({
      index: steps.length + 1,
      totalUs: next.event.at - requested.event.at,
      modelHalfUs: responded.event.at - requested.event.at,
      toolHalfUs: next.event.at - responded.event.at,
      segments: segmentsOf({ requested, responded, toolRequested, next }, inputs, key),
    });
  }
  return steps;
}

function segmentsOf(
  step: Record<'requested' | 'responded' | 'toolRequested' | 'next', StoredEvent>,
  { serverOffsetUs, probed }: TimelineInputs,
  key: string,
): Segments | undefined {
  const jobSeen = probed?.get(key);
  const resultSeen = probed?.get(`${key}/result`);
  if (serverOffsetUs === undefined || jobSeen === undefined || resultSeen === undefined) return undefined;
  const requestedStored = step.requested.storedUs - serverOffsetUs;
  const toolRequestedStored = step.toolRequested.storedUs - serverOffsetUs;
  return {
    appendFirst: requestedStored - step.requested.event.at,
    modelCall: step.responded.event.at - requestedStored,
    appendSecond: toolRequestedStored - step.responded.event.at,
    dispatch: jobSeen - toolRequestedStored,
    executor: resultSeen - jobSeen,
    resultToActor: step.next.event.at - resultSeen,
  };
}
