import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { DreamJob, encode, validate, type DreamRun, type MemoryVersion } from '@signalbox/events';
import { MemoryStore } from '@signalbox/store';
import { ulid } from 'ulid';
import { withClient, type GlobalOptions } from './connection.ts';
import { wholeNumberFlag } from './flags.ts';
import { dreamRunLines } from './memory-texts.ts';
import { defaultRequester } from './pause-commands.ts';

export interface DreamFlags {
  sessions?: string;
  /** False with `--no-wait`. */
  wait: boolean;
  timeout: string;
  as?: string;
}

/** How often `dream` looks for its job's record while it waits. */
const pollMs = 250;

/**
 * `signalbox dream <store>`: asks the memory consolidator to consolidate the store now (a DreamJob,
 * its id the message id, so a resend is one job), then waits for what it did unless `--no-wait`.
 * Exits 1 when the job failed or no record came in time.
 */
export async function dreamCommand(options: GlobalOptions, store: string, flags: DreamFlags): Promise<void> {
  const timeoutMs = wholeNumberFlag('--timeout', flags.timeout, 1_000);
  const job = validate(DreamJob, { jobId: ulid(), store, by: flags.as ?? defaultRequester(), ...(flags.sessions === undefined ? {} : { sessions: wholeNumberFlag('--sessions', flags.sessions) }) }, 'the dream job');
  await withClient(options, async (client) => {
    const memory = await MemoryStore.open(client.nc, client.names);
    if (!(await memory.definition(store))) throw new Error(`no memory store ${store}; \`signalbox memory list\` lists them`);
    await jetstream(client.nc).publish(client.names.subjects.dreamJobs, encode(job), { msgID: job.jobId });
    if (!flags.wait) return console.log(options.json ? JSON.stringify({ ...job, sent: true }) : `sent dream job ${job.jobId} for memory store ${store} (as ${job.by})`);
    const run = await waitForRun(memory, job, timeoutMs);
    if (!run) {
      process.exitCode = 1;
      return console.error(`no record of dream job ${job.jobId} within ${timeoutMs} ms: is the memory consolidator running (\`signalbox run memory-consolidator\`)? It may still take the job.`);
    }
    if (run.status === 'failed') process.exitCode = 1;
    const versions = (await Promise.all(run.versions.map((version) => memory.version(store, version)))).filter((version): version is MemoryVersion => version !== undefined);
    console.log(options.json ? JSON.stringify({ ...run, proposed: versions.map(({ version, state, changes }) => ({ version, state, changes: changes.length, held: changes.filter(({ held }) => held !== undefined).length })) }, null, 2) : dreamRunLines(run, versions).join('\n'));
  }, 'must-exist');
}

async function waitForRun(memory: MemoryStore, job: DreamJob, timeoutMs: number): Promise<DreamRun | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await memory.run(job.store, job.jobId);
    if (run || Date.now() >= deadline) return run;
    await sleep(pollMs);
  }
}
