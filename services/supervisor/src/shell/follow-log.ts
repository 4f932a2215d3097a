import type { SessionEvent } from '@signalbox/events';
import { startEventSubscriber, type Delivery, type RunningSubscriber, type ServiceContext } from '@signalbox/runtime';

/**
 * Hands every session's events to `onEvent`, each session's in order, through the runtime's durable
 * event subscriber: replicas share the sessions (by partition), a restarted replica resumes where
 * the group left off, and one that meets a session mid-log (it took its partition over) is handed the
 * session's earlier events from the log first, so its detectors see the whole session. `onPartitions`
 * hears which partitions this replica follows, whenever that changes.
 */
export function followLog(
  context: ServiceContext,
  group: string,
  onPartitions: (partitions: readonly number[]) => void,
  onEvent: (event: SessionEvent, delivery: Delivery) => Promise<void>,
): Promise<RunningSubscriber> {
  return startEventSubscriber(context, { group, handle: onEvent, onPartitions });
}
