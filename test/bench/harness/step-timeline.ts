import type { StoredEvent } from './runtime.ts';

/**
 * A step's log, in one of the two shapes a session leaves. `plain` (decider version 2, sessions that
 * started before the permission gate): model.requested, then [model.responded, tool.requested] in one
 * append, tool.completed. `gated` (version 3): model.requested, [model.responded] alone, the broker is
 * asked, then [tool.requested, permission.granted] in one append, tool.completed.
 */
export type StepShape = 'plain' | 'gated';

/**
 * Where one step's time went, in µs on the benchmark's clock. A step runs from one `model.requested`
 * to the next; the segments follow each other and add up to the step.
 */
export interface StepTiming {
  /** 1-based position of the step in its session. */
  index: number;
  shape: StepShape;
  totalUs: number;
  /** `model.requested` → `model.responded` by their `at` stamps. */
  modelHalfUs: number;
  /** `model.responded` → `tool.requested` by their `at` stamps: its own append and the permission check; 0 in a plain step (one decision). */
  permissionUs: number;
  /** `tool.requested` → `tool.completed` (= next `model.requested`) by their `at` stamps. */
  toolHalfUs: number;
  /** Present when the server clock offset and both probes are known. */
  segments: Segments | undefined;
}

const shared = {
  appendFirst: 'append tool.completed + model.requested (one message, not yet acked)',
  modelCall: 'ack back, fold, scripted model call, decide reply',
  dispatch: 'ack back, fold, publish tool job (until it passes the server)',
  executor: 'job stored + delivered, executor decodes, runs, publishes result',
  resultToActor: 'result stored + delivered to actor, decode, lock, decide, stamp',
} as const;

/** Each shape's segments, in the order they follow each other. */
export const segmentLabels = {
  plain: {
    appendFirst: shared.appendFirst,
    modelCall: shared.modelCall,
    appendSecond: 'append model.responded + tool.requested (one message, not yet acked)',
    dispatch: shared.dispatch,
    executor: shared.executor,
    resultToActor: shared.resultToActor,
  },
  gated: {
    appendFirst: shared.appendFirst,
    modelCall: shared.modelCall,
    appendResponded: 'append model.responded (alone, not yet acked)',
    permissionCheck: 'ack back, fold, ask the broker (request/reply), decide verdicts, stamp',
    appendSecond: 'append tool.requested + permission.granted (one message, not yet acked)',
    dispatch: shared.dispatch,
    executor: shared.executor,
    resultToActor: shared.resultToActor,
  },
} as const;
export type SegmentName = keyof (typeof segmentLabels)['plain'] | keyof (typeof segmentLabels)['gated'];
/** A step's segments: those of its shape. */
export type Segments = Partial<Record<SegmentName, number>>;

export interface TimelineInputs {
  /** Server timestamps minus this are on the benchmark's clock. */
  serverOffsetUs: number | undefined;
  /** When the probe thread saw each job (by `<session>:<idempotency key>`) and tool result (that + `/result`) pass, µs. */
  probed: ReadonlyMap<string, number> | undefined;
}

/** One step's events, found in a log: `granted` only in the gated shape. */
interface StepEvents {
  requested: StoredEvent;
  responded: StoredEvent;
  toolRequested: StoredEvent;
  granted: StoredEvent | undefined;
  next: StoredEvent;
  /** `<session>:<idempotency key>` of the tool call: the id its job and result pass the server under. */
  key: string;
}

/** The steps of one session whose log has either shape (steps of a denied or failed call are skipped). */
export function stepTimings(log: readonly StoredEvent[], inputs: TimelineInputs): StepTiming[] {
  const steps: StepTiming[] = [];
  for (let position = 0; position < log.length; position++) {
    const step = stepAt(log, position);
    if (!step) continue;
    const { requested, responded, toolRequested, next } = step;
    steps.push({
      index: steps.length + 1,
      shape: step.granted ? 'gated' : 'plain',
      totalUs: next.event.at - requested.event.at,
      modelHalfUs: responded.event.at - requested.event.at,
      permissionUs: toolRequested.event.at - responded.event.at,
      toolHalfUs: next.event.at - toolRequested.event.at,
      segments: segmentsOf(step, inputs),
    });
  }
  return steps;
}

/** The step starting at `position`, when the log there has one of the two shapes. */
function stepAt(log: readonly StoredEvent[], position: number): StepEvents | undefined {
  const [requested, responded, toolRequested, ...rest] = log.slice(position, position + 8);
  if (requested?.event.type !== 'model.requested' || responded?.event.type !== 'model.responded' || toolRequested?.event.type !== 'tool.requested') {
    return undefined;
  }
  // The verdicts recorded with the call: the broker's grant, and the supervisor's gate when the agent asks for it.
  const verdicts = rest.findIndex((stored) => stored.event.type !== 'permission.granted' && stored.event.type !== 'supervisor.gated');
  const granted = rest.slice(0, verdicts).find((stored) => stored.event.type === 'permission.granted');
  const [toolCompleted, next] = rest.slice(Math.max(0, verdicts));
  if (toolCompleted?.event.type !== 'tool.completed' || next?.event.type !== 'model.requested') return undefined;
  return { requested, responded, toolRequested, granted, next, key: `${toolRequested.event.sessionId}:${toolRequested.event.data.idempotencyKey}` };
}

function segmentsOf(step: StepEvents, { serverOffsetUs, probed }: TimelineInputs): Segments | undefined {
  const jobSeen = probed?.get(step.key);
  const resultSeen = probed?.get(`${step.key}/result`);
  if (serverOffsetUs === undefined || jobSeen === undefined || resultSeen === undefined) return undefined;
  const stored = (event: StoredEvent) => event.storedUs - serverOffsetUs;
  const tail = {
    appendSecond: stored(step.toolRequested) - step.toolRequested.event.at,
    dispatch: jobSeen - stored(step.toolRequested),
    executor: resultSeen - jobSeen,
    resultToActor: step.next.event.at - resultSeen,
  };
  const head = { appendFirst: stored(step.requested) - step.requested.event.at, modelCall: step.responded.event.at - stored(step.requested) };
  if (!step.granted) return { ...head, ...tail };
  return {
    ...head,
    appendResponded: stored(step.responded) - step.responded.event.at,
    permissionCheck: step.toolRequested.event.at - stored(step.responded),
    ...tail,
  };
}
