import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionEvent } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { expectWholeSession, repeatedKeys } from './invariants.ts';
import { startWorker } from './processes.ts';
import { completedLogs, startRecorderRun } from './recorder.ts';
import { report } from './report.ts';

const sessions = 100;
const toolCallsPerSession = 8;
/** Two rounds over the four workers: each replaced twice while sessions run. */
const rounds = 2;

describe('a rolling restart of every worker, as a deploy does it', () => {
  it(`drains each one (exit 0), and all ${sessions} sessions complete without an unknown outcome or a call run twice`, { timeout: 150_000 }, async () => {
    // The default 30 s ack wait: results left to a stopped actor would wait 60 s for the server to drop
    // its inbox durable, while the other actors look for them every 10 s.
    const run = await startRecorderRun({
      name: 'r',
      sessions,
      toolCalls: toolCallsPerSession,
      ackWaitMs: 30_000,
      toolMs: 300,
      workers: [['session-actor', 'permission-broker'], ['tool-executor'], ['session-actor', 'permission-broker'], ['tool-executor']],
    });
    const { workers } = run;
    try {
      const started = Date.now();
      await run.submitAll();

      // One worker at a time: its replacement (a new instance name) starts first, then it is stopped and drains.
      const exitCodes: (number | null)[] = [];
      for (let round = 0; round < rounds; round++) {
        for (const [index, worker] of workers.entries()) {
          await sleep(300);
          workers[index] = await startWorker(worker.services, run.env);
          exitCodes.push(await worker.stop());
        }
      }

      const logs = await completedLogs(run.client, run.ids, 90_000);
      const seconds = (Date.now() - started) / 1000;
      const unknown = logs.flat().filter((event) => event.type === 'tool.outcome_unknown').length;
      const longestWaitMs = Math.max(...logs.map(longestToolWaitMs));
      const handedOver = logs.reduce((sum, log) => sum + recordedElsewhere(log), 0);
      report('rolling-restart', { restarts: exitCodes.length, sessions, events: logs.reduce((sum, log) => sum + log.length, 0), unknown, handedOver, longestWaitMs, seconds });

      expect(exitCodes).toEqual(exitCodes.map(() => 0));
      for (const log of logs) expectWholeSession(log);
      expect(logs.map((log) => log.at(-1)).filter((last) => !(last?.type === 'session.completed' && last.data.status === 'succeeded'))).toEqual([]);
      // A drained executor finishes its calls, so none is cut off mid-run.
      expect(unknown).toBe(0);
      expect(repeatedKeys(run.executions())).toEqual([]);
      // Actors stopped while their calls ran, and handed the results over: none waited for the server to
      // drop a stopped actor's inbox durable (60 s), and none was stranded on its way to a stopping worker
      // until the ack wait (30 s) brought it back. The rest of the bound is for a loaded machine.
      expect(handedOver).toBeGreaterThan(0);
      expect(longestWaitMs).toBeLessThan(25_000);
    } finally {
      await run.dispose();
    }
  });
});

/** The longest a tool call of the session waited from its request to its recorded result. */
function longestToolWaitMs(log: readonly SessionEvent[]): number {
  const requestedAt = new Map(log.flatMap((event) => (event.type === 'tool.requested' ? [[event.data.callId, event.at]] : [])));
  const waits = log.flatMap((event) => (event.type === 'tool.completed' ? [event.at - (requestedAt.get(event.data.callId) ?? event.at)] : []));
  return Math.max(0, ...waits);
}

/** Tool results recorded by another actor than the one that requested the call: an actor stopped in between. */
function recordedElsewhere(log: readonly SessionEvent[]): number {
  const requestedBy = new Map(log.flatMap((event) => (event.type === 'tool.requested' ? [[event.data.callId, event.by.instance]] : [])));
  return log.filter((event) => event.type === 'tool.completed' && event.by.instance !== requestedBy.get(event.data.callId)).length;
}
