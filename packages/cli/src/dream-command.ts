import type { MemoryVersion } from '@signalbox/events';
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

/**
 * `signalbox dream <store>`: asks the memory consolidator to consolidate the store now (a DreamJob,
 * its id the message id, so a resend is one job), then waits for what it did unless `--no-wait`.
 * Exits 1 when the job failed or no record came in time.
 */
export async function dreamCommand(options: GlobalOptions, store: string, flags: DreamFlags): Promise<void> {
  const timeoutMs = wholeNumberFlag('--timeout', flags.timeout, 1_000);
  const sessions = flags.sessions === undefined ? undefined : wholeNumberFlag('--sessions', flags.sessions);
  await withClient(options, async (client) => {
    const job = await client.dream(store, { by: flags.as ?? defaultRequester(), ...(sessions === undefined ? {} : { sessions }) });
    if (!flags.wait) return console.log(options.json ? JSON.stringify({ ...job, sent: true }) : `sent dream job ${job.jobId} for memory store ${store} (as ${job.by})`);
    const run = await client.dreamRun(store, job.jobId, { timeoutMs });
    if (!run) {
      process.exitCode = 1;
      return console.error(`no record of dream job ${job.jobId} within ${timeoutMs} ms: is the memory consolidator running (\`signalbox run memory-consolidator\`)? It may still take the job.`);
    }
    if (run.status === 'failed') process.exitCode = 1;
    const memory = await client.memory();
    const versions = (await Promise.all(run.versions.map((version) => memory.version(store, version)))).filter((version): version is MemoryVersion => version !== undefined);
    console.log(options.json ? JSON.stringify({ ...run, proposed: versions.map(({ version, state, changes }) => ({ version, state, changes: changes.length, held: changes.filter(({ held }) => held !== undefined).length })) }, null, 2) : dreamRunLines(run, versions).join('\n'));
  }, 'must-exist');
}
