/**
 * Resume time of a cold session (one no actor has cached) after 2,000 steps, as a ratio to the same
 * after 200 steps. A cold session loads the way the actor's cache miss does: read the snapshot, check
 * the log holds its last event, read the tail after it, fold the tail onto the snapshot's state.
 * The snapshot holds the whole conversation, so its size (and decode time) still grows with the session.
 *
 *   node test/bench/resume.ts    (env: BENCH_REPS=40, BENCH_REPLAY_REPS=8, BENCH_SHORT_STEPS=200, BENCH_LONG_STEPS=2000)
 */
import { availableParallelism } from 'node:os';
import { encode, naming } from '@signalbox/events';
import { fold, sessionStateVersion, type SessionState } from '@signalbox/session-actor';
import { EventStore, provision, SnapshotStore } from '@signalbox/store';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine } from './harness/ratio-report.ts';
import { startBenchNats } from './harness/runtime.ts';
import { ms, summarise, type Summary } from './harness/stats.ts';
import { appendInBatches, syntheticSessionEvents } from './harness/synthetic-session.ts';

const reps = Number(process.env['BENCH_REPS'] ?? 40);
const replayReps = Number(process.env['BENCH_REPLAY_REPS'] ?? 8);
const shortSteps = Number(process.env['BENCH_SHORT_STEPS'] ?? 200);
const longSteps = Number(process.env['BENCH_LONG_STEPS'] ?? 2000);
/** The actor's default `snapshotEvery`. */
const snapshotEvery = 50;
const target = 1.2;

/** One session as built: its id, length and the size of its snapshot. */
interface Built {
  sessionId: string;
  steps: number;
  events: number;
  snapshotN: number;
  snapshotBytes: number;
}

/** Where one cold resume's time went, ms. */
interface ResumeTiming {
  totalMs: number;
  readMs: number;
  holdsMs: number;
  loadMs: number;
  foldMs: number;
}

await runBench('resume', 45_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const names = naming();
  await provision(nats.nc, names);
  const store = await EventStore.open(nats.nc, names);
  // Opened once, as a fresh actor process opens them at start: a resume pays only for reads.
  const snapshots = await SnapshotStore.open<SessionState>(nats.nc, names, { stateVersion: sessionStateVersion });

  const buildStarted = performance.now();
  const runId = Date.now().toString(36);
  const build = async (steps: number): Promise<Built> => {
    const sessionId = `bench-${runId}-resume-${steps}`;
    const events = syntheticSessionEvents(sessionId, steps);
    const snapshotN = Math.floor(events.length / snapshotEvery) * snapshotEvery;
    const { at } = await appendInBatches(store, sessionId, events, [snapshotN]);
    const head = at.get(snapshotN);
    if (!head) throw new Error(`no head at event ${snapshotN} of ${sessionId}`);
    // What the actor writes after the append that crosses a multiple of `snapshotEvery`.
    const snapshot = { n: head.n, seq: head.seq, state: fold(events.slice(0, snapshotN)) };
    await snapshots.write(sessionId, snapshot);
    const snapshotBytes = encode({ v: 1, stateVersion: sessionStateVersion, ...snapshot }).length;
    return { sessionId, steps, events: events.length, snapshotN, snapshotBytes };
  };
  const short = await build(shortSteps);
  const long = await build(longSteps);
  const buildMs = performance.now() - buildStarted;

  const resumeCold = async (sessionId: string): Promise<ResumeTiming> => {
    const t0 = performance.now();
    const snapshot = await snapshots.read(sessionId);
    const t1 = performance.now();
    if (!snapshot || snapshot.state.n !== snapshot.n || !(await store.holds(sessionId, snapshot))) {
      throw new Error(`the snapshot of ${sessionId} was not usable`);
    }
    const t2 = performance.now();
    const { events, head } = await store.load(sessionId, { fromN: snapshot.n + 1, fromSeq: snapshot.seq + 1 });
    const t3 = performance.now();
    const state = fold(events, snapshot.state);
    const t4 = performance.now();
    if (state.n !== head.n) throw new Error(`resumed ${sessionId} at ${state.n}, but its log ends at ${head.n}`);
    return { totalMs: t4 - t0, readMs: t1 - t0, holdsMs: t2 - t1, loadMs: t3 - t2, foldMs: t4 - t3 };
  };
  const replayFull = async (sessionId: string): Promise<number> => {
    const started = performance.now();
    const { events, head } = await store.load(sessionId);
    const state = fold(events);
    if (state.n !== head.n) throw new Error(`replayed ${sessionId} to ${state.n}, but its log ends at ${head.n}`);
    return performance.now() - started;
  };

  for (let warmup = 0; warmup < 5; warmup++) {
    await resumeCold(short.sessionId);
    await resumeCold(long.sessionId);
  }
  const resumes = { short: [] as ResumeTiming[], long: [] as ResumeTiming[] };
  // Alternating keeps both sessions' samples under the same machine state.
  for (let rep = 0; rep < reps; rep++) {
    resumes.short.push(await resumeCold(short.sessionId));
    resumes.long.push(await resumeCold(long.sessionId));
  }
  const replays = { short: [] as number[], long: [] as number[] };
  await replayFull(short.sessionId);
  await replayFull(long.sessionId);
  for (let rep = 0; rep < replayReps; rep++) {
    replays.short.push(await replayFull(short.sessionId));
    replays.long.push(await replayFull(long.sessionId));
  }

  const shortTotal = summarise(resumes.short.map((r) => r.totalMs));
  const longTotal = summarise(resumes.long.map((r) => r.totalMs));
  const verdict = { ratio: longTotal.p50 / shortTotal.p50, target, atLeast: false };
  const p50 = (list: ResumeTiming[], key: keyof ResumeTiming) => ms(summarise(list.map((r) => r[key])).p50);
  const row = (label: string, s: Summary, note = '') =>
    `  ${label.padEnd(34)} p50 ${ms(s.p50).padStart(8)}  p90 ${ms(s.p90).padStart(8)}  max ${ms(s.max).padStart(8)} ms${note}`;
  const split = (list: ResumeTiming[]) =>
    `      snapshot read ${p50(list, 'readMs')} · holds ${p50(list, 'holdsMs')} · tail load ${p50(list, 'loadMs')} · fold ${p50(list, 'foldMs')} ms (p50s)`;
  const built = (b: Built) =>
    `  ${b.steps} steps: ${b.events} events, snapshot at event ${b.snapshotN} (tail ${b.events - b.snapshotN}), snapshot ${(b.snapshotBytes / 1024).toFixed(1)} KiB`;
  console.log(
    [
      `resume · nats-server ${nats.nc.info?.version ?? 'unknown'} · node ${process.version} · ${availableParallelism()} cpus · ` +
        `${reps} cold resumes each, ${replayReps} full replays each; logs built in ${(buildMs / 1000).toFixed(1)} s`,
      built(short),
      built(long),
      '',
      'cold resume: snapshot read + holds + tail load + fold (the actor\'s cache miss)',
      row(`after ${short.steps} steps`, shortTotal),
      split(resumes.short),
      row(`after ${long.steps} steps`, longTotal),
      split(resumes.long),
      '',
      'context: full replay, no snapshot (load the whole log through a consumer + fold)',
      row(`after ${short.steps} steps`, summarise(replays.short)),
      row(`after ${long.steps} steps`, summarise(replays.long)),
      '',
      verdictLine(`resume p50 after ${long.steps} steps / after ${short.steps}`, verdict),
      `  the tail read is constant; what grows is the snapshot, which holds the whole conversation (${(long.snapshotBytes / short.snapshotBytes).toFixed(1)}x the bytes)`,
    ].join('\n'),
  );
  printSummary('resume', verdict, {
    shortResumeP50Ms: shortTotal.p50,
    longResumeP50Ms: longTotal.p50,
    shortReplayP50Ms: summarise(replays.short).p50,
    longReplayP50Ms: summarise(replays.long).p50,
    shortSnapshotBytes: short.snapshotBytes,
    longSnapshotBytes: long.snapshotBytes,
  });
});
