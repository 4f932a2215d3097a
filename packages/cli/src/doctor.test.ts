import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { naming } from '@signalbox/events';
import { isAtLeast, provision, SecretVault, serverFloor, streamConfigs, vaultKeyOf } from '@signalbox/store';
import { freePort, startNatsCluster, startNatsServer, type NatsCluster, type NatsServer } from '@signalbox/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorFacts, FeatureFact, Finding } from './doctor-checks.ts';
import { doctor } from './doctor.ts';

const names = naming('sbx');

async function provisioned(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    await provision(nc, names);
  } finally {
    await nc.close();
  }
}

/**
 * The streams at R3. Not `provision(nc, names, { replicas: 3 })`: each R3 asset takes a while to
 * elect its group, and provision makes over a dozen of them one after another.
 */
async function replicatedStreams(url: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    // Electing every group at once can outlast the default 5 s API timeout on a loaded machine.
    const jsm = await jetstreamManager(nc, { timeout: 30_000 });
    await Promise.all(streamConfigs(names, { replicas: 3 }).map((config) => jsm.streams.add(config)));
  } finally {
    await nc.close();
  }
}

/** Runs doctor in-process, collecting what it would print. */
async function runDoctor(nats: string, monitor: string, json = false): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await doctor({ nats, prefix: 'sbx' }, { monitor, json }, { write: (line) => lines.push(line), colour: false });
  return { code, lines };
}

interface JsonReport {
  facts: DoctorFacts;
  features: FeatureFact[];
  findings: Finding[];
}

async function report(nats: string, monitor: string): Promise<{ code: number } & JsonReport> {
  const { code, lines } = await runDoctor(nats, monitor, true);
  return { code, ...(JSON.parse(lines.join('\n')) as JsonReport) };
}

/** A report once every replica is current: just after their streams are made, followers are still catching up. */
async function settledReport(nats: string, monitor: string): Promise<Awaited<ReturnType<typeof report>>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = await report(nats, monitor);
    const behind = found.facts.streams.some((stream) => stream.status === 'present' && stream.peers.some((peer) => !peer.current || peer.offline));
    if (!behind || Date.now() > deadline) return found;
    await sleep(250);
  }
}

let server: NatsServer;
let cluster: NatsCluster;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startNatsServer(), startNatsCluster()]);
  await Promise.all([provisioned(server.url), replicatedStreams(cluster.servers[0] ?? '')]);
});
afterAll(async () => {
  await Promise.all([server?.dispose(), cluster?.dispose()]);
});

describe('signalbox doctor on a single nats-server', () => {
  it('reports the version, the features in use, every stream at R1 and the fsync interval', async () => {
    const { code, facts, features, findings } = await report(server.url, server.monitorUrl);
    expect(code).toBe(0);
    expect(isAtLeast(facts.server.version, serverFloor)).toBe(true);
    expect(features.every((use) => use.available)).toBe(true);
    expect(facts.cluster).toBeUndefined();
    expect(facts.jetstream.enabled).toBe(true);
    expect(facts.sync).toMatchObject({ kind: 'interval', everyMs: 120_000 });
    expect(facts.streams.map((stream) => [stream.name, stream.status === 'present' && stream.replicas])).toEqual(
      streamConfigs(names).map((config) => [config.name, 1]),
    );
    expect(facts.buckets.every((bucket) => bucket.present)).toBe(true);
    expect(facts.permissions).toEqual({ brokers: [], grantSigners: [], unstoredPolicies: [], overdueApprovals: [] });
    // The last says whether shell.exec's sandbox runs on this machine: ok or warn, as the machine has it.
    expect(findings.map((finding) => finding.level).slice(0, 4)).toEqual(['ok', 'ok', 'ok', 'warn']);
    expect(findings[3]?.message).toMatch(/^No permission broker answers: tool calls of new sessions wait for one and are then denied\./);
    expect(findings[4]?.message).toMatch(/^shell\.exec can(not)? run here/);
    expect(findings[5]).toEqual({ level: 'ok', message: 'traces are off: set OTEL_EXPORTER_OTLP_ENDPOINT to export them by OTLP' });
  });

  it('prints a readable report, and says why sync_interval is unknown when monitoring does not answer', async () => {
    const silent = `http://127.0.0.1:${await freePort()}`;
    const { code, lines } = await runDoctor(server.url, silent);
    expect(code).toBe(0);
    expect(lines[0]).toBe(`signalbox doctor · ${server.url} · prefix sbx`);
    expect(lines).toContain('cluster     none (single server)');
    expect(lines.find((line) => line.startsWith('fsync'))).toContain(`unknown (no monitoring endpoint at ${silent}: ECONNREFUSED;`);
    expect(lines.find((line) => line.startsWith('  SBX_TASKS'))).toMatch(/R1 · file · workqueue · max msg 1 MiB · dedup 2m/);
  });

  it('warns of jobs that wait for a tool no executor offers, and of a pool without workers', async () => {
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.consumers.add(names.streams.jobs, { durable_name: 'tool-executor-web-fetch', filter_subject: names.subjects.toolJob('web.fetch'), ack_policy: AckPolicy.Explicit });
      const js = jetstream(nc);
      await js.publish(names.subjects.toolJob('web.fetch'), '{}');
      await js.publish(names.subjects.toolJob('mail.send'), '{}');
      const { facts, findings } = await report(server.url, server.monitorUrl);
      expect(facts.workers).toContainEqual({ stream: 'SBX_JOBS', name: 'tool-executor-web-fetch', filter: 'sbx.jobs.tool.web.fetch', waiting: 1, inProgress: 0, pulls: 0 });
      expect(facts.unserved).toEqual([{ subject: 'sbx.jobs.tool.mail.send', messages: 1 }]);
      expect(findings.filter((finding) => finding.level === 'warn').map((finding) => finding.message)).toEqual([
        'web.fetch: 1 job waiting, no executor pulling: start a tool executor that offers it (consumer tool-executor-web-fetch).',
        expect.stringMatching(/^1 message waits on sbx\.jobs\.tool\.mail\.send, and no consumer takes that subject/),
        expect.stringMatching(/^No permission broker answers/),
      ]);
    } finally {
      await nc.close();
    }
  });

  it('warns of grade jobs that wait with no grader consuming them, with the fix', async () => {
    const nc = await connect({ servers: server.url });
    try {
      await jetstream(nc).publish(names.subjects.gradeJobs, '{}');
      const before = await report(server.url, server.monitorUrl);
      expect(before.facts.grader).toEqual({ pending: 1 });
      expect(before.findings.map((finding) => finding.message)).toContainEqual(expect.stringMatching(/^1 grade job waits on sbx\.jobs\.grade, and no grader has ever consumed them .*Start `signalbox run grader`/));
      await (await jetstreamManager(nc)).consumers.add(names.streams.jobs, { durable_name: 'grader', filter_subject: names.subjects.gradeJobs, ack_policy: AckPolicy.Explicit });
      const stopped = await report(server.url, server.monitorUrl);
      expect(stopped.facts.grader).toEqual({ pending: 1, durable: { waiting: 1, inProgress: 0, pulls: 0 } });
      const messages = stopped.findings.map((finding) => finding.message);
      expect(messages).toContainEqual(expect.stringMatching(/the grader durable has no pull waiting, so no grader is running/));
      expect(messages.filter((message) => message.includes('(sbx.jobs.grade)'))).toEqual([]);
    } finally {
      await (await jetstreamManager(nc)).consumers.delete(names.streams.jobs, 'grader');
      await (await jetstreamManager(nc)).streams.purge(names.streams.jobs, { filter: names.subjects.gradeJobs });
      await nc.close();
    }
  });

  it('hears every permission broker replica, and names an agent whose policy is not stored', async () => {
    const nc = await connect({ servers: server.url });
    const signer = `U${'B'.repeat(55)}`;
    for (const status of [{ instance: 'broker-2', policies: [] }, { instance: 'broker-1', signer, policies: [{ name: 'staging', version: 3 }] }]) {
      nc.subscribe(names.subjects.permissionStatus, { callback: (_error, message) => void message.respond(JSON.stringify(status)) });
    }
    nc.subscribe(names.subjects.permissionStatus, { callback: (_error, message) => void message.respond('not a status') });
    const kv = new Kvm(nc);
    await (await kv.open(names.buckets.agents)).put('scribe', JSON.stringify({ name: 'scribe', model: 'scripted', script: [{ final: 'done' }], policy: 'missing' }));
    await (await kv.open(names.buckets.agents)).put('helper', JSON.stringify({ name: 'helper', model: 'scripted', script: [{ final: 'done' }], policy: 'staging' }));
    const policies = await kv.open(names.buckets.policies);
    await policies.put('staging', JSON.stringify({ name: 'staging', rules: [] }));
    await policies.put('gone', '{}');
    await policies.delete('gone');
    await (await kv.open(names.buckets.agents)).put('leaver', JSON.stringify({ name: 'leaver', model: 'scripted', script: [{ final: 'done' }], policy: 'gone' }));
    try {
      const { facts, findings } = await report(server.url, server.monitorUrl);
      expect(facts.permissions.brokers).toEqual([
        { instance: 'broker-1', signer, policies: [{ name: 'staging', version: 3 }] },
        { instance: 'broker-2', policies: [] },
      ]);
      expect(facts.permissions.unstoredPolicies).toEqual([
        { agent: 'leaver', policy: 'gone' },
        { agent: 'scribe', policy: 'missing' },
      ]);
      expect(findings.filter((finding) => finding.level === 'warn').map((finding) => finding.message)).toEqual([
        expect.stringMatching(/^web\.fetch: 1 job waiting/),
        expect.stringMatching(/^1 message waits on sbx\.jobs\.tool\.mail\.send/),
        expect.stringMatching(/^Agent leaver names policy gone, which the policies bucket does not hold/),
        expect.stringMatching(/^Agent scribe names policy missing, which the policies bucket does not hold/),
      ]);
    } finally {
      for (const agent of ['scribe', 'helper', 'leaver']) await (await kv.open(names.buckets.agents)).purge(agent);
      await nc.close();
    }
  });

  it('warns of calls the sessions index still lists as waiting for approval a minute past their deadline', async () => {
    const nc = await connect({ servers: server.url });
    const sessions = await new Kvm(nc).open(names.buckets.sessions);
    const row = (sessionId: string, deadline: number) => ({
      sessionId, correlationId: sessionId, agent: 'releaser', status: 'running', createdAt: 1, updatedAt: 1, lastN: 10,
      approvals: [{ approvalId: `${sessionId}:0123456789ab`, callId: 'call_2', tool: 'workspace.write', input: '{}', reason: 'held', deadline }],
    });
    await sessions.put('overdue', JSON.stringify(row('overdue', Date.now() - 120_000)));
    await sessions.put('in-time', JSON.stringify(row('in-time', Date.now() - 1_000)));
    try {
      const { facts, findings } = await report(server.url, server.monitorUrl);
      expect(facts.permissions.overdueApprovals).toEqual([{ approvalId: 'overdue:0123456789ab', deadline: expect.any(Number) }]);
      expect(findings.map((finding) => finding.message)).toContainEqual(expect.stringMatching(/^1 call is still waiting for approval past the deadline that should have denied it \(the oldest, overdue:0123456789ab,/));
    } finally {
      for (const key of ['overdue', 'in-time']) await sessions.purge(key);
      await nc.close();
    }
  });

  it('reads which key each stored secret is sealed under, never a value, and warns when no key file is set here', async () => {
    const nc = await connect({ servers: server.url });
    const vault = await SecretVault.open(nc, names);
    const key = vaultKeyOf(randomBytes(32));
    await vault.set('GITHUB_TOKEN', 'ghp_doctor-canary', key);
    await (await new Kvm(nc).open(names.buckets.secrets)).put('GARBLED', 'not a sealed record');
    const agents = await new Kvm(nc).open(names.buckets.agents);
    await agents.put('biller', JSON.stringify({ name: 'biller', model: 'anthropic/claude-haiku-4-5', providerKeySecret: 'ANTHROPIC_PROD_KEY' }));
    await agents.put('gardener', JSON.stringify({ name: 'gardener', model: 'openai/gpt-5', providerKeySecret: 'GITHUB_TOKEN' }));
    try {
      const { facts, findings } = await report(server.url, server.monitorUrl);
      expect(facts.vault).toEqual({
        keys: {},
        sealed: [{ name: 'GARBLED', keyId: 'unreadable' }, { name: 'GITHUB_TOKEN', keyId: key.id }],
        providerKeys: [{ agent: 'biller', secret: 'ANTHROPIC_PROD_KEY' }, { agent: 'gardener', secret: 'GITHUB_TOKEN' }],
      });
      expect(findings.map((finding) => finding.message)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^The vault holds 2 secrets, but SIGNALBOX_SECRETS_KEY_FILE is not set here/),
          expect.stringMatching(/^Agent biller takes its provider key from the vault secret ANTHROPIC_PROD_KEY, which the vault does not hold/),
          expect.stringMatching(/^Agents biller, gardener take their provider key from the vault, but SIGNALBOX_SECRETS_KEY_FILE is not set here/),
        ]),
      );
      expect(JSON.stringify({ facts, findings })).not.toContain('ghp_doctor-canary');
    } finally {
      for (const agent of ['biller', 'gardener']) await agents.purge(agent);
      for (const name of ['GITHUB_TOKEN', 'GARBLED']) await vault.delete(name);
      await nc.close();
    }
  });

  it('runs as `signalbox doctor --json`, prints the effective configuration with keys masked, and exits 0', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const args = ['packages/cli/src/main.ts', '--nats', server.url, 'doctor', '--json', '--monitor', server.monitorUrl];
    const env = { ...process.env, ANTHROPIC_API_KEY: 'sk-ant-doctor-secret' };
    const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: root, env, timeout: 20_000 });
    const { facts, config } = JSON.parse(stdout) as { facts: DoctorFacts; config: { sessionActor: unknown; models: { providers: Record<string, unknown> } } };
    expect(facts.streams).toHaveLength(streamConfigs(names).length);
    expect(config.sessionActor).toEqual({ concurrency: 64, maxDeliver: 20, snapshotEvery: 50, budgetCeiling: { maxSteps: 1000, maxCostUsd: 100 }, permissionCheckTimeoutMs: 30_000, liveOutput: true });
    expect(config.models.providers['anthropic']).toEqual({ kind: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY', apiKey: '[set]' });
    expect(stdout).not.toContain('sk-ant-doctor-secret');
  });

  it('reports a setting it cannot use as an error, naming the variable', async () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const args = ['packages/cli/src/main.ts', '--nats', server.url, 'doctor', '--json', '--monitor', server.monitorUrl];
    const env = { ...process.env, SIGNALBOX_SNAPSHOT_EVERY: 'often' };
    const failed = await promisify(execFile)(process.execPath, args, { cwd: root, env, timeout: 20_000 }).then(() => undefined, (error: unknown) => error as { code: number; stdout: string });
    expect(failed?.code).toBe(1);
    const { findings } = JSON.parse(failed?.stdout ?? '{}') as { findings: Finding[] };
    expect(findings.filter((finding) => finding.level === 'error').map((finding) => finding.message)).toEqual([expect.stringMatching(/^invalid setting: SIGNALBOX_SNAPSHOT_EVERY: .*unset it for the default/)]);
  });
});

describe('signalbox doctor on a 3-node cluster', () => {
  it('warns that R3 streams without sync_interval always can lose acknowledged writes', async () => {
    const node = cluster.nodes[0];
    if (!node) throw new Error('no cluster node');
    const { code, facts, findings } = await settledReport(node.url, node.monitorUrl);
    expect(code).toBe(0);
    expect(facts.cluster).toEqual({ name: 'sbx-test', nodes: 3 });
    expect(facts.streams.every((stream) => stream.status === 'present' && stream.replicas === 3)).toBe(true);
    const warnings = findings.filter((finding) => finding.level === 'warn').map((finding) => finding.message);
    expect(warnings).toEqual([
      expect.stringMatching(/^Missing: bucket sbx-agents, .*`signalbox init` makes them/),
      expect.stringMatching(/^Every stream \(R3\) is replicated and the server fsyncs in the background every 120s \(sync_interval\).*majority loses power/),
      expect.stringMatching(/^No permission broker answers/),
    ]);
  });
});
