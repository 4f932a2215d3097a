import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { expectWholeSession } from './invariants.ts';
import { startWorker } from './processes.ts';
import { completedCount, completedLogs, startRecorderRun } from './recorder.ts';
import { report, seededRandom } from './report.ts';

const sessions = 40;
const toolCalls = 20;

/**
 * Calls run in the actor's own process (SIGNALBOX_EXECUTOR_IN_PROCESS) have no job in the jobs stream to
 * be redelivered: what carries them through a kill -9 is the message whose handling ran them, held until
 * their results are recorded. Processes running actor, broker and executor together are killed mid-run.
 */
describe('kill -9 of processes running tool calls in the session actor\'s process', () => {
  it(`completes all ${sessions} sessions with whole logs, every completed call having run`, { timeout: 180_000 }, async () => {
    const seed = Number(process.env['FAULT_SEED'] ?? Date.now() % 100_000);
    const random = seededRandom(seed);
    const together = ['session-actor', 'permission-broker', 'tool-executor'];
    const run = await startRecorderRun({
      name: 'inproc',
      sessions,
      toolCalls,
      ackWaitMs: 2_000,
      toolMs: 100,
      workers: [together, together],
      tool: 'ledger.note',
      workerEnv: { SIGNALBOX_EXECUTOR_IN_PROCESS: 'true' },
    });
    const { client, workers } = run;
    try {
      const jobsBefore = (await (await jetstreamManager(run.nc)).streams.info('SBX_JOBS')).state.last_seq;
      await run.submitAll();
      let kills = 0;
      const chaosUntil = Date.now() + 8_000;
      while (Date.now() < chaosUntil && (await completedCount(client)) < sessions) {
        await sleep(300 + random() * 500);
        const index = Math.floor(random() * workers.length);
        await workers[index]!.kill();
        kills++;
        workers[index] = await startWorker(together, run.env);
      }

      const logs = await completedLogs(client, run.ids, 120_000);
      const executions = run.executions();
      const jobs = (await (await jetstreamManager(run.nc)).streams.info('SBX_JOBS')).state.last_seq - jobsBefore;
      report('in-process-kill', { seed, kills, sessions, calls: sessions * toolCalls, executions: executions.length, jobsOverNats: jobs });

      for (const log of logs) expectWholeSession(log);
      const unsuccessful = logs.map((log) => log.at(-1)).filter((last) => !(last?.type === 'session.completed' && last.data.status === 'succeeded'));
      expect(kills).toBeGreaterThan(0);
      expect(unsuccessful).toEqual([]);
      // A call reported completed really ran (perhaps twice: the tool is safe to run again).
      const executed = new Set(executions);
      for (const event of logs.flat()) {
        if (event.type === 'tool.completed') expect(executed.has(`${event.sessionId}/${event.data.callId}`)).toBe(true);
      }
      // Only calls dispatched again after a kill went over NATS.
      expect(jobs).toBeLessThan(sessions * toolCalls);
    } finally {
      await run.dispose();
    }
  });
});
