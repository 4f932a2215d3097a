/**
 * A full consolidation ("dreaming", issue #21) of 100 finished sessions of 50 steps each, as a ratio to
 * reading those 100 transcripts raw from the events stream in the same run: an ordered consumer per
 * session subject, one session after another, no decoding (also shown: 16 at a time, as the
 * consolidator reads them, for the ratio to that). The consolidation
 * is the service's, from the dream job on `sbx.jobs.dream` to its run recorded in `sbx-memory`: the
 * sessions index read, each log read and decoded, the transcripts rendered, an instant model's reply
 * (one entry citing each transcript) parsed and checked, a version proposed and promoted, the sessions
 * marked read. Each repetition consolidates a store of its own, so each reads all 100 sessions.
 *
 *   node test/bench/dream.ts    (env: BENCH_SESSIONS=100, BENCH_STEPS=50, BENCH_REPS=3)
 */
import { availableParallelism } from 'node:os';
import { jetstream, jetstreamManager, type Consumer } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { encode, naming, type ModelRequest, type SessionIndexEntry } from '@signalbox/events';
import { memoryConsolidatorService } from '@signalbox/memory-consolidator';
import { RuntimeConfig, startHost } from '@signalbox/runtime';
import { EventStore, MemoryStore, provision } from '@signalbox/store';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine } from './harness/ratio-report.ts';
import { startBenchNats } from './harness/runtime.ts';
import { median } from './harness/stats.ts';
import { appendInBatches, syntheticSessionEvents } from './harness/synthetic-session.ts';

const sessions = Number(process.env['BENCH_SESSIONS'] ?? 100);
const steps = Number(process.env['BENCH_STEPS'] ?? 50);
const reps = Number(process.env['BENCH_REPS'] ?? 3);
const readConcurrency = 16;
const target = 2;

/** The instant model: one entry per transcript, citing its task's line. */
const instant = () => ({
  name: 'instant',
  costOf: () => 0,
  provider: {
    name: 'scripted',
    complete: async (request: ModelRequest) => {
      const text = request.messages.flatMap((message) => message.content).map((block) => (block.type === 'text' ? block.text : '')).join('\n');
      const add = [...text.matchAll(/<transcript session="([^"]+)"/g)].map(([, sessionId]) => ({ text: `What ${sessionId} taught.`, evidence: [{ sessionId, events: [1] }] }));
      return { model: 'instant', content: [{ type: 'text' as const, text: JSON.stringify({ add }) }], stopReason: 'end_turn' as const, usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 } };
    },
  },
});

await runBench('dream', 80_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const names = naming();
  await provision(nats.nc, names);
  const events = await EventStore.open(nats.nc, names);
  const index = await new Kvm(nats.nc).open(names.buckets.sessions);
  const ids = Array.from({ length: sessions }, (_, n) => `dream-${n}`);
  // Appended a step at a time, as the session actor appends a decision's events: about 50 messages a session.
  for (const sessionId of ids) {
    const log = syntheticSessionEvents(sessionId, steps);
    await appendInBatches(events, sessionId, log, [], 4);
    const row: SessionIndexEntry = { sessionId, correlationId: sessionId, agent: 'bench-resume', status: 'succeeded', createdAt: 0, updatedAt: Date.now(), lastN: log.length };
    await index.put(sessionId, JSON.stringify(row));
  }
  const total = (await (await jetstreamManager(nats.nc)).streams.info(names.streams.events)).state.messages;

  const js = jetstream(nats.nc);
  const jsm = await jetstreamManager(nats.nc);
  const readOne = async (sessionId: string): Promise<Consumer> => {
    const subject = names.subjects.events(sessionId);
    const last = await jsm.direct.getMessage(names.streams.events, { last_by_subj: subject });
    const consumer = await js.consumers.get(names.streams.events, { filter_subjects: subject });
    const messages = await consumer.consume();
    for await (const message of messages) if (message.seq >= (last?.seq ?? 0)) break;
    await messages.close();
    // Removed once the clock stops, so repetitions do not pile up consumers on the stream.
    return consumer;
  };
  const raw = async (concurrency: number): Promise<number> => {
    const started = performance.now();
    const consumers: Consumer[] = [];
    for (let start = 0; start < ids.length; start += concurrency) consumers.push(...(await Promise.all(ids.slice(start, start + concurrency).map(readOne))));
    const elapsed = performance.now() - started;
    await Promise.all(consumers.map((consumer) => consumer.delete()));
    return elapsed;
  };

  const memory = await MemoryStore.open(nats.nc, names);
  const config = RuntimeConfig.parse({ natsUrl: nats.server.url, instance: 'bench', logLevel: 'silent' });
  // A request large enough for every transcript: by default (400,000 characters, about 100k tokens) about
  // 70 of these sessions fit, and the rest wait for the next consolidation.
  const host = await startHost([memoryConsolidatorService({ models: instant, requestChars: 1_000_000 })], config);
  teardown.add('consolidator', () => host.stop());
  let rep = 0;
  const consolidated = async (): Promise<number> => {
    const store = `bench-${++rep}`;
    await memory.define({ name: store, agents: ['bench-resume'], promotion: 'auto', consolidation: { model: 'scripted/instant', sessions: 100, reads: {}, requireLocalProvider: false } });
    const started = performance.now();
    await js.publish(names.subjects.dreamJobs, encode({ jobId: `bench-${rep}`, store, by: 'bench' }));
    for (;;) {
      const run = await memory.run(store, `bench-${rep}`);
      if (run?.status === 'done' && run.sessions === sessions) break;
      if (run) throw new Error(`the consolidation did not read every session: ${JSON.stringify(run)}`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return performance.now() - started;
  };

  await raw(1);
  await consolidated();
  const rawMs: number[] = [];
  const parallelMs: number[] = [];
  const dreamMs: number[] = [];
  for (let index = 0; index < reps; index++) {
    rawMs.push(await raw(1));
    parallelMs.push(await raw(readConcurrency));
    dreamMs.push(await consolidated());
  }
  const verdict = { ratio: median(dreamMs) / median(rawMs), target, atLeast: false };
  const list = (values: number[]) => values.map((value) => value.toFixed(0)).join(', ');
  console.log(
    [
      `dream · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${availableParallelism()} cpus · ` +
        `${sessions} sessions of ${steps} steps (${total} messages), median of ${reps}`,
      `  raw: an ordered consumer per session, one after another   ${median(rawMs).toFixed(0)} ms  (${list(rawMs)})`,
      `  raw: the same, ${readConcurrency} sessions at a time                  ${median(parallelMs).toFixed(0)} ms  (${list(parallelMs)})`,
      `  a full consolidation, instant model                       ${median(dreamMs).toFixed(0)} ms  (${list(dreamMs)})`,
      verdictLine('consolidation / raw read of the same transcripts', verdict),
      `       consolidation / raw read ${readConcurrency} at a time = ${(median(dreamMs) / median(parallelMs)).toFixed(2)}x`,
    ].join('\n'),
  );
  printSummary('dream', verdict, { sessions, steps, messages: total, rawMs: median(rawMs), rawParallelMs: median(parallelMs), consolidationMs: median(dreamMs) });
});
