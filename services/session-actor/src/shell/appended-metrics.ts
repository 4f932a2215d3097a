import type { SessionEvent } from '@signalbox/events';
import type { RuntimeMetrics } from '@signalbox/runtime';

/**
 * Counts what the events this actor appended say: a step and its model's latency, tokens and cost for
 * each `model.responded`, and each intervention recorded. From the log, so a model call answered but
 * lost to a conflict or a crash is not counted, and what is recorded is counted once, by the actor
 * that recorded it (a supervisor may send one intervention twice; the log keeps it once).
 */
export function countAppended(metrics: RuntimeMetrics): (events: readonly SessionEvent[]) => void {
  return (events) => {
    for (const event of events) {
      if (event.type === 'supervisor.intervened') metrics.interventions.inc({ detector: event.data.detector, action: event.data.action });
      if (event.type !== 'model.responded') continue;
      const { model, latencyMs, usage, costUsd } = event.data;
      metrics.steps.inc({ model });
      metrics.modelCallSeconds.observe({ model }, latencyMs / 1_000);
      metrics.modelTokens.inc({ model, direction: 'input' }, usage.inputTokens);
      metrics.modelTokens.inc({ model, direction: 'output' }, usage.outputTokens);
      metrics.costUsd.inc({ model }, costUsd);
    }
  };
}
