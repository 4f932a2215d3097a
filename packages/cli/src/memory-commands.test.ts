import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { decode, DreamJob, naming } from '@signalbox/events';
import { MemoryStore, memoryEntryId, provision } from '@signalbox/store';
import { startNatsServer, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'memory-cli-'));
const names = naming('sbx');
let server: NatsServer;
let nc: NatsConnection;
let memory: MemoryStore;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await provision(nc, names);
  memory = await MemoryStore.open(nc, names);
});
afterAll(async () => {
  await nc.close();
  await server?.dispose();
});

function signalbox(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['packages/cli/src/main.ts', '--nats', server.url, ...args], { cwd: root, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const draft = (text: string) => ({ text, scope: 'team' as const, confidence: 0.7, evidence: [{ sessionId: 's-1', events: [3] }] });
const consolidation = { kind: 'consolidation' as const, jobId: 'j-1', provider: 'ollama', model: 'ollama/llama3', sessions: ['s-1'] };

/** The latest dream job on the jobs stream, once there is one other than `after`'s. */
async function nextDreamJob(after?: string): Promise<{ job: DreamJob; msgId: string | undefined }> {
  const jsm = await jetstreamManager(nc);
  for (;;) {
    const stored = await jsm.streams.getMessage(names.streams.jobs, { last_by_subj: names.subjects.dreamJobs }).catch(() => null);
    if (stored) {
      const job = decode(DreamJob, stored.data, 'dream job');
      if (job.jobId !== after) return { job, msgId: stored.header?.get('Nats-Msg-Id') };
    }
    await sleep(50);
  }
}

describe('signalbox memory and dream', () => {
  it('applies a store from a file, lists, shows, promotes, diffs and rolls back its versions', async () => {
    const file = join(dir, 'team.yaml');
    writeFileSync(file, 'name: team\nagents: [coder]\npromotion: review\n');
    expect(await signalbox('memory', 'apply', '-f', file)).toMatchObject({ code: 0, stdout: 'applied memory store team (review promotion; agents coder)\n' });
    writeFileSync(join(dir, 'bad.yaml'), 'name: team\nagents: coder\n');
    expect(await signalbox('memory', 'apply', '-f', join(dir, 'bad.yaml'))).toMatchObject({ code: 1, stderr: expect.stringContaining('bad.yaml:2:9: agents: must be an array') });

    await memory.write('team', { id: memoryEntryId('s-1/3'), draft: draft('Deploys need staging credentials'), author: { kind: 'session', sessionId: 's-1', event: 3 } }, 1);
    const proposed = await memory.propose('team', [{ kind: 'add', id: memoryEntryId('dreamt'), draft: draft('Builds take ten minutes') }], consolidation, 2);

    expect((await signalbox('memory')).stdout).toBe('team  version 1, 1 entries, 1 waiting for review  (review; agents coder)\n');
    const versions = (await signalbox('memory', 'list', 'team')).stdout;
    expect(versions).toMatch(/\*1 +promoted +write by session s-1 \(event 3\) +1 change\(s\) +promoted by session:s-1/);
    expect(versions).toMatch(/ 2 +proposed +consolidation by ollama of 1 session\(s\) +1 change\(s\) +waiting for review/);

    const shown = (await signalbox('memory', 'show', 'team', '2')).stdout;
    expect(shown).toContain('transcripts read by ollama/llama3 (provider ollama), dream job j-1: s-1');
    expect(shown).toContain('evidence: s-1#3; written by consolidation version 2 (ollama); added in version 2');

    expect(await signalbox('memory', 'promote', 'team', String(proposed.version), '--as', 'ada')).toMatchObject({ code: 0, stdout: expect.stringContaining('promoted version 2 of memory store team (as ada)') });
    expect(await signalbox('memory', 'promote', 'team', '2')).toMatchObject({ code: 1, stderr: expect.stringContaining('version 2 of memory store team is promoted already by ada') });
    expect((await signalbox('memory', 'diff', 'team', '1')).stdout).toBe(`from version 1 to 2: 1 added, 0 removed\n+ ${memoryEntryId('dreamt')}  Builds take ten minutes\n`);

    const rolledBack = JSON.parse((await signalbox('memory', 'rollback', 'team', '1', '--json', '--as', 'ada')).stdout);
    expect(rolledBack).toMatchObject({ version: 3, state: 'promoted', origin: { kind: 'rollback', to: 1, by: 'ada' }, entries: 1 });
    expect(await signalbox('memory', 'rollback', 'team', '9')).toMatchObject({ code: 1, stderr: expect.stringContaining('memory store team has no version 9') });
    expect(await signalbox('memory', 'show', 'a.>')).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a memory store name') });
  });

  it('sends a dream job under its id and waits for what it did', async () => {
    const sent = JSON.parse((await signalbox('dream', 'team', '--no-wait', '--json', '--as', 'ada', '--sessions', '5')).stdout);
    expect(sent).toMatchObject({ store: 'team', by: 'ada', sessions: 5, sent: true });
    const first = await nextDreamJob();
    expect(first).toEqual({ job: { jobId: sent.jobId, store: 'team', by: 'ada', sessions: 5 }, msgId: sent.jobId });

    // A stand-in consolidator: it takes the next job, proposes a version with a held change, and records the run.
    const waiting = signalbox('dream', 'team', '--timeout', '10000');
    const { job } = await nextDreamJob(sent.jobId);
    const version = await memory.propose('team', [{ kind: 'add', id: memoryEntryId('held'), draft: draft('Never deploy on Fridays'), held: 'contradicts an entry' }], { ...consolidation, jobId: job.jobId }, 3);
    await memory.recordRun('team', { jobId: job.jobId, store: 'team', status: 'done', versions: [version.version], sessions: 1, at: 4 });
    expect(await waiting).toMatchObject({
      code: 0,
      stdout: `dream job ${job.jobId} of memory store team: done, 1 session(s) read\nversion ${version.version}: proposed, 1 change(s), 1 change(s) held for a person: \`signalbox memory promote team ${version.version}\`\n`,
    });

    expect(await signalbox('dream', 'nowhere')).toMatchObject({ code: 1, stderr: expect.stringContaining('no memory store nowhere') });
    expect(await signalbox('dream', 'team', '--timeout', '1000')).toMatchObject({ code: 1, stderr: expect.stringContaining('is the memory consolidator running') });
  });
});
