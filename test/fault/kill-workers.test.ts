import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { SignalboxClient } from '@signalbox/client';
import { describe, expect, it } from 'vitest';
import { expectWholeSession, repeatedKeys } from './invariants.ts';
import { startWorker } from './processes.ts';
import { completedCount, completedLogs, startRecorderRun } from './recorder.ts';
import { report, seededRandom } from './report.ts';

const sessions = 200;
const toolCallsPerSession = 4;
describe('kill -9 of session actors and tool executors mid-run', () => {
  it(`completes all ${sessions} sessions with whole logs and no tool call executed twice`, { timeout: 180_000 }, async () => {
    const seed = Number(process.env['FAULT_SEED'] ?? Date.now() % 100_000);
    const random = seededRandom(seed);
    const workerServices = [['tool-executor'], ['tool-executor'], ['session-actor', 'permission-broker'], ['session-actor', 'permission-broker']];
    const run = await startRecorderRun({ name: 'f', sessions, toolCalls: toolCallsPerSession, ackWaitMs: 2_000, toolMs: 40, workers: workerServices });
    const { client, workers } = run;
    try {
      await run.submitAll();

      // Chaos: while sessions run (at most 20 s), kill a random worker every 150-450 ms and replace it.
      let kills = 0;
      const replacements: Promise<void>[] = [];
      const alive = new Set(workers.keys());
      const chaosUntil = Date.now() + 20_000;
      while (Date.now() < chaosUntil && (await completedCount(client)) < sessions) {
        await sleep(150 + random() * 300);
        const candidates = [...alive];
        const index = candidates[Math.floor(random() * candidates.length)];
        if (index === undefined) continue;
        alive.delete(index);
        await workers[index]!.kill();
        kills++;
        // The replacement starts in the background, so kills keep coming while it boots.
        replacements.push(
          startWorker(workers[index]!.services, run.env).then((worker) => {
            workers[index] = worker;
            alive.add(index);
          }),
        );
      }
      await Promise.all(replacements);

      const logs = await completedLogs(client, run.ids, 120_000, () => stuck(client));
      const executions = run.executions();
      const events = logs.reduce((sum, log) => sum + log.length, 0);
      const unknown = logs.flat().filter((event) => event.type === 'tool.outcome_unknown').length;
      report('kill-workers', { seed, kills, sessions, events, executions: executions.length, unknown });

      for (const log of logs) expectWholeSession(log);
      const unsuccessful = logs.map((log) => log.at(-1)).filter((last) => !(last?.type === 'session.completed' && last.data.status === 'succeeded'));
      expect(unsuccessful).toEqual([]);
      expect(repeatedKeys(executions)).toEqual([]);
      // A call reported completed really ran.
      const executed = new Set(executions);
      for (const event of logs.flat()) {
        if (event.type === 'tool.completed') expect(executed.has(`${event.sessionId}/${event.data.callId}`)).toBe(true);
      }
    } finally {
      await run.dispose();
    }
  });
});

/** The sessions still running and the last events of each, to see where they stopped. */
async function stuck(client: SignalboxClient): Promise<string> {
  const running = (await client.sessions()).filter((session) => session.status === 'running');
  const lines = await Promise.all(
    running.map(async (session) => {
      const log = await client.events(session.sessionId);
      return `${session.sessionId}: ${log.slice(-4).map((event) => `${event.n}:${event.type}`).join(' ')}`;
    }),
  );
  const jsm = await jetstreamManager(client.nc);
  const consumers: string[] = [];
  for (const stream of ['SBX_TASKS', 'SBX_INBOX', 'SBX_JOBS']) {
    for await (const info of jsm.consumers.list(stream)) {
      consumers.push(`${info.name}: pending=${info.num_pending} ack_pending=${info.num_ack_pending} redelivered=${info.num_redelivered} waiting=${info.num_waiting}`);
    }
  }
  const streams = await Promise.all(['SBX_JOBS', 'SBX_INBOX', 'SBX_DLQ'].map(async (name) => `${name}=${(await jsm.streams.info(name)).state.messages}`));
  const reasons = new Map<string, number>();
  const dlq = await jetstream(client.nc).consumers.get('SBX_DLQ');
  for await (const message of await dlq.fetch({ max_messages: 500, expires: 1_000 })) {
    const reason = `${message.subject} ${(message.headers?.get('Sbx-Error') ?? '').slice(0, 80)}`;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    if (message.info.pending === 0) break;
  }
  return [...consumers, streams.join(' '), ...[...reasons].map(([reason, count]) => `${count}× ${reason}`), ...lines.slice(0, 5)].join('\n');
}
