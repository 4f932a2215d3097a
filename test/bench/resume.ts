/**
 * Resume time of a cold session (one no actor has cached) after 2,000 steps, as a ratio to the same
 * after 200 steps. A cold session loads the way the actor's cache miss does: read the snapshot, check
 * the log holds its last event, read the tail after it, fold the tail onto the snapshot's state.
 * Snapshots are written by the actor's own code, which keeps all but the latest messages of the
 * conversation in the transcript store. The first model call after a resume reads those back (the
 * request carries the whole conversation to the model anyway); that read is printed beside, not hidden.
 *
 * Beside it, a cached session's step: folding a step's events onto the state an actor keeps in its cache
 * (every message since the session was loaded), after 20,000 steps as a ratio to after 200. Copying the
 * conversation whole at every message made it 2.5 ms a step at 8,000 steps (NOTES, #25 twenty-third sitting).
 *
 *   node test/bench/resume.ts    (env: BENCH_REPS=40, BENCH_REPLAY_REPS=8, BENCH_SHORT_STEPS=200, BENCH_LONG_STEPS=2000,
 *    BENCH_CACHED_LONG_STEPS=20000)
 */
import { availableParallelism } from 'node:os';
import { encode, naming } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import { fold, sessionStateVersion, storedSnapshotState } from '@signalbox/session';
import { openSessionSnapshotStore, SessionSnapshots } from '@signalbox/session-actor';
import { EventStore, provision, TranscriptStore } from '@signalbox/store';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine } from './harness/ratio-report.ts';
import { startBenchNats } from './harness/runtime.ts';
import { ms, summarise, type Summary } from './harness/stats.ts';
import { appendInBatches, syntheticSessionEvents } from './harness/synthetic-session.ts';

const reps = Number(process.env['BENCH_REPS'] ?? 40);
const replayReps = Number(process.env['BENCH_REPLAY_REPS'] ?? 8);
const shortSteps = Number(process.env['BENCH_SHORT_STEPS'] ?? 200);
const longSteps = Number(process.env['BENCH_LONG_STEPS'] ?? 2000);
const cachedLongSteps = Number(process.env['BENCH_CACHED_LONG_STEPS'] ?? 20_000);
/** Steps folded a sample of the cached step's cost, after as many samples not counted (V8 compiling the fold). */
const foldedSteps = 100;
const unmeasuredSamples = 5;
/** Events a step of `syntheticSessionEvents` adds: model.requested, model.responded, tool.requested, tool.completed. */
const eventsPerStep = 4;
const foldTarget = 1.1;
/** Events an appended message holds: a step's two decisions append two each ([model.responded, tool.requested], [tool.completed, model.requested]). */
const eventsPerDecision = 2;
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
  /** Messages the state does not hold (left in the transcript store). */
  earlierMessages: number;
}

await runBench('resume', 45_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const names = naming();
  await provision(nats.nc, names);
  const store = await EventStore.open(nats.nc, names);
  // Opened once, as a fresh actor process opens them at start: a resume pays only for reads.
  const snapshots = await openSessionSnapshotStore(nats.nc, names);
  const transcripts = await TranscriptStore.open(nats.nc, names);
  const logger = createLogger({ service: 'bench', instance: 'resume', level: 'silent' });
  const writer = new SessionSnapshots({ store, snapshots, transcripts, logger, every: snapshotEvery });

  const buildStarted = performance.now();
  const runId = Date.now().toString(36);
  const build = async (steps: number): Promise<Built> => {
    const sessionId = `bench-${runId}-resume-${steps}`;
    const events = syntheticSessionEvents(sessionId, steps);
    const snapshotN = Math.floor(events.length / snapshotEvery) * snapshotEvery;
    // Written as the actor writes them, a decision a message: `holds` reads the message of the snapshot's last event, and a
    // bulk load's 500-event message made that read grow with the batch, not with the session (NOTES, #25 twenty-third sitting).
    const { at } = await appendInBatches(store, sessionId, events, [snapshotN], eventsPerDecision);
    const head = at.get(snapshotN);
    if (!head) throw new Error(`no head at event ${snapshotN} of ${sessionId}`);
    // What the actor writes after the append that crosses a multiple of `snapshotEvery`.
    writer.appended(sessionId, snapshotN - 1, { state: fold(events.slice(0, snapshotN)), head });
    await writer.settled();
    const snapshot = await snapshots.read(sessionId);
    if (snapshot?.n !== snapshotN) throw new Error(`no snapshot at event ${snapshotN} of ${sessionId}`);
    const snapshotBytes = encode({ v: 1, stateVersion: sessionStateVersion, ...snapshot, state: storedSnapshotState(snapshot.state) }).length;
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
    if (state.n !== head.n || state.status === 'new') throw new Error(`resumed ${sessionId} at ${state.n}, but its log ends at ${head.n}`);
    return { totalMs: t4 - t0, readMs: t1 - t0, holdsMs: t2 - t1, loadMs: t3 - t2, foldMs: t4 - t3, earlierMessages: state.conversation.earlier };
  };
  /** What the first model call after a resume adds: the earlier messages, read back from the transcript store. */
  const reloadEarlier = async (sessionId: string, count: number): Promise<number> => {
    const started = performance.now();
    const messages = await transcripts.load(sessionId, count);
    if (messages.length !== count) throw new Error(`read ${messages.length} of ${count} earlier messages of ${sessionId}`);
    return performance.now() - started;
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
  const earlierOf = (list: ResumeTiming[]) => list[0]?.earlierMessages ?? 0;
  const reloads = { short: [] as number[], long: [] as number[] };
  for (let rep = 0; rep < replayReps; rep++) {
    reloads.short.push(await reloadEarlier(short.sessionId, earlierOf(resumes.short)));
    reloads.long.push(await reloadEarlier(long.sessionId, earlierOf(resumes.long)));
  }
  const replays = { short: [] as number[], long: [] as number[] };
  await replayFull(short.sessionId);
  await replayFull(long.sessionId);
  for (let rep = 0; rep < replayReps; rep++) {
    replays.short.push(await replayFull(short.sessionId));
    replays.long.push(await replayFull(long.sessionId));
  }

  const cachedShort = cachedSession(shortSteps);
  const cachedLong = cachedSession(cachedLongSteps);
  const stepFolds = { short: [] as number[], long: [] as number[] };
  for (let rep = 0; rep < unmeasuredSamples + reps; rep++) {
    const [short, long] = [cachedShort(), cachedLong()];
    if (rep < unmeasuredSamples) continue;
    stepFolds.short.push(short);
    stepFolds.long.push(long);
  }
  const foldVerdict = { what: `a cached step's fold after ${cachedLongSteps} steps / after ${shortSteps}`, ratio: summarise(stepFolds.long).p50 / summarise(stepFolds.short).p50, target: foldTarget, atLeast: false };

  const shortTotal = summarise(resumes.short.map((r) => r.totalMs));
  const longTotal = summarise(resumes.long.map((r) => r.totalMs));
  const verdict = { ratio: longTotal.p50 / shortTotal.p50, target, atLeast: false };
  const p50 = (list: ResumeTiming[], key: keyof ResumeTiming) => ms(summarise(list.map((r) => r[key])).p50);
  const row = (label: string, s: Summary, unit = 'ms') =>
    `  ${label.padEnd(34)} p50 ${ms(s.p50).padStart(8)}  p90 ${ms(s.p90).padStart(8)}  max ${ms(s.max).padStart(8)} ${unit}`;
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
      'context: the first model call after a resume reads the earlier messages back from the transcript store',
      row(`after ${short.steps} steps (${earlierOf(resumes.short)} messages)`, summarise(reloads.short)),
      row(`after ${long.steps} steps (${earlierOf(resumes.long)} messages)`, summarise(reloads.long)),
      '',
      'context: full replay, no snapshot (load the whole log in batched direct gets + fold)',
      row(`after ${short.steps} steps`, summarise(replays.short)),
      row(`after ${long.steps} steps`, summarise(replays.long)),
      '',
      `a cached step: its events folded onto the state an actor keeps (every message held), µs a step over ${foldedSteps} steps`,
      row(`after ${shortSteps} steps`, summarise(stepFolds.short), 'µs'),
      row(`after ${cachedLongSteps} steps`, summarise(stepFolds.long), 'µs'),
      '',
      verdictLine(`resume p50 after ${long.steps} steps / after ${short.steps}`, verdict),
      verdictLine(foldVerdict.what, foldVerdict),
      `  the snapshot holds the state and the conversation's latest messages: ${(long.snapshotBytes / short.snapshotBytes).toFixed(2)}x the bytes after ${long.steps / short.steps}x the steps`,
    ].join('\n'),
  );
  printSummary('resume', verdict, {
    shortResumeP50Ms: shortTotal.p50,
    longResumeP50Ms: longTotal.p50,
    shortReplayP50Ms: summarise(replays.short).p50,
    longReplayP50Ms: summarise(replays.long).p50,
    shortEarlierReloadP50Ms: summarise(reloads.short).p50,
    longEarlierReloadP50Ms: summarise(reloads.long).p50,
    shortSnapshotBytes: short.snapshotBytes,
    longSnapshotBytes: long.snapshotBytes,
    shortCachedStepFoldUs: summarise(stepFolds.short).p50,
    longCachedStepFoldUs: summarise(stepFolds.long).p50,
  }, [foldVerdict]);
});

/**
 * A session of `steps` as an actor's cache holds it, less its last steps: each call folds those steps' events
 * onto it again and returns the µs a step it took.
 */
function cachedSession(steps: number): () => number {
  const events = syntheticSessionEvents(`bench-cached-${steps}`, steps);
  const last = events.slice(-eventsPerStep * foldedSteps);
  const before = fold(events.slice(0, -eventsPerStep * foldedSteps));
  return () => {
    const started = performance.now();
    let state = before;
    for (const event of last) state = fold([event], state);
    const elapsed = performance.now() - started;
    if (state.n !== events.length) throw new Error(`folded to ${state.n}, not ${events.length}`);
    return (elapsed * 1000) / foldedSteps;
  };
}
