import type { Logger, RuntimeMetrics } from '@signalbox/runtime';
import { Gauge } from 'prom-client';
import { approvalsWaitingByTool } from '../core/approvals-waiting.ts';
import type { SessionsView } from './sessions-view.ts';

/**
 * `signalbox_approvals_waiting{tool}`: calls waiting for a person, counted from the sessions index (the
 * gateway's view of it) when Prometheus scrapes. The whole installation's count, so every gateway replica
 * reports the same figure (aggregate with `max`, not `sum`). When the index cannot be read the last figures
 * stay, and the failure is logged.
 */
export function countApprovalsWaiting(metrics: RuntimeMetrics, sessions: SessionsView, logger: Logger): void {
  new Gauge({
    name: 'signalbox_approvals_waiting',
    help: "Tool calls waiting for a person's approval, by tool, across every session (from the sessions index, read when scraped)",
    labelNames: ['tool'],
    registers: [metrics.registry],
    async collect() {
      try {
        const waiting = approvalsWaitingByTool(await sessions.rows());
        this.reset();
        for (const [tool, count] of waiting) this.set({ tool }, count);
      } catch (error) {
        logger.warn({ err: error }, 'approvals waiting could not be counted: the sessions index could not be read; the last figures stay');
      }
    },
  });
}
