import type { SessionEvent } from '@signalbox/events';
import type { Intervention } from './record.ts';

export type { Intervention };

/** Every intervention the run's log records, in order. */
export function interventionsIn(events: readonly SessionEvent[]): Intervention[] {
  const found: Intervention[] = [];
  for (const event of events) {
    if (event.type === 'supervisor.intervened') {
      const { detector, action, evidence } = event.data;
      found.push({ n: event.n, at: event.at, detector, action, evidence, timing: timingOf(events, evidence, event) });
    } else if (event.type === 'supervisor.gated' && event.data.verdict !== 'proceed' && event.data.detector !== undefined && !event.data.unanswered) {
      const evidence = event.data.evidence ?? [];
      found.push({ n: event.n, at: event.at, detector: event.data.detector, action: `gate_${event.data.verdict}`, evidence, timing: timingOf(events, evidence, event) });
    }
  }
  return found;
}

/** Steps (model replies) and seconds from the first evidence event to the intervention's. */
function timingOf(events: readonly SessionEvent[], evidence: readonly number[], intervention: SessionEvent): Intervention['timing'] {
  const first = events.find((event) => event.n === Math.min(...evidence));
  if (!first) return undefined;
  const steps = events.filter((event) => event.type === 'model.responded' && event.n > first.n && event.n < intervention.n).length;
  return { steps, seconds: Math.max(0, intervention.at - first.at) / 1_000 };
}

/** How many calls the run held for a person's approval. */
export function approvalsIn(events: readonly SessionEvent[]): number {
  return events.filter((event) => event.type === 'approval.requested').length;
}
