import { naming } from '@signalbox/events';
import { describe, expect, it } from 'vitest';
import { diagnose, featuresOf, refusalFindings, type DoctorFacts, type StreamFact, type SyncSetting } from './doctor-checks.ts';
import { defaultMonitorUrl, syncSettingOf, type Varz } from './doctor-facts.ts';
import { formatBytes, formatDuration, formatReport } from './doctor-report.ts';

const names = naming('sbx');
const workqueue = new Set(['tasks', 'inbox', 'jobs']);

function streams(replicas: number): StreamFact[] {
  return (Object.entries(names.streams) as [StreamFact['role'], string][]).map(([role, name]) => {
    const retention = workqueue.has(role) ? 'workqueue' : 'limits';
    return {
      name,
      role,
      status: 'present',
      replicas,
      storage: 'file',
      retention,
      expected: { retention, storage: 'file' },
      maxMsgSize: 1024 * 1024,
      duplicateWindowMs: 120_000,
      maxAgeMs: role === 'dlq' ? 30 * 86_400_000 : 0,
      messages: 0,
      bytes: 0,
      consumers: 0,
      peers: [],
    };
  });
}

/** A provisioned single server; each test says what differs. */
function given(overrides: Partial<DoctorFacts> & { version?: string; replicas?: number } = {}): DoctorFacts {
  const { version = '2.15.1', replicas = 1, ...rest } = overrides;
  return {
    natsUrl: 'nats://127.0.0.1:4222',
    prefix: 'sbx',
    server: { version, id: 'NID', name: 'n1', maxPayload: 1024 * 1024 },
    jetstream: { enabled: true, memory: 0, storage: 0, streams: 13, consumers: 3 },
    sync: { kind: 'interval', everyMs: 120_000, source: 'default' },
    streams: streams(replicas),
    buckets: Object.values(names.buckets).map((name) => ({ name, kind: 'kv', present: true })),
    workers: [],
    unserved: [],
    subscribers: { configuredPartitions: 8, stream: 'SBX_EVENT_PARTITIONS', streamPartitions: 8, durables: [] },
    permissions: { brokers: [{ instance: 'broker-1', policies: [] }], grantSigners: [], unstoredPolicies: [], overdueApprovals: [] },
    vault: { keys: {}, sealed: [], providerKeys: [] },
    gatedAgents: [],
    ...rest,
  };
}

const levels = (facts: DoctorFacts) => diagnose(facts).map((finding) => finding.level);
const warnings = (facts: DoctorFacts) => diagnose(facts).filter((finding) => finding.level === 'warn').map((finding) => finding.message);
const always: SyncSetting = { kind: 'always' };
const unknown: SyncSetting = { kind: 'unknown', reason: 'no monitoring endpoint' };

const pool = (name: string, filter: string, counts: { waiting?: number; inProgress?: number; pulls?: number } = {}) => ({
  stream: name.startsWith('tool') ? 'SBX_JOBS' : 'SBX_INBOX',
  name,
  filter,
  waiting: counts.waiting ?? 0,
  inProgress: counts.inProgress ?? 0,
  pulls: counts.pulls ?? 1,
});

describe('diagnose the worker pools', () => {
  it('says nothing of pools that have workers, busy or idle', () => {
    const workers = [pool('session-actor-inbox', 'sbx.inbox.*', { waiting: 3, pulls: 1 }), pool('tool-executor-web-fetch', 'sbx.jobs.tool.web.fetch', { waiting: 2, inProgress: 16, pulls: 0 })];
    expect(warnings(given({ workers }))).toEqual([]);
  });

  it('warns of messages waiting on a pool no worker pulls from, saying what to start', () => {
    const workers = [
      pool('tool-executor-web-fetch', 'sbx.jobs.tool.web.fetch', { waiting: 2, pulls: 0 }),
      pool('session-actor-tasks', 'sbx.tasks.>', { waiting: 1, pulls: 0 }),
      pool('memory-consolidator', 'sbx.jobs.dream', { waiting: 2, pulls: 0 }),
    ];
    expect(warnings(given({ workers }))).toEqual([
      'web.fetch: 2 jobs waiting, no executor pulling: start a tool executor that offers it (consumer tool-executor-web-fetch).',
      '1 message waits for session-actor-tasks (sbx.tasks.>), and no worker is pulling: start a session actor (`signalbox run session-actor`).',
      '2 messages wait for memory-consolidator (sbx.jobs.dream), and no worker is pulling: start a memory consolidator (`signalbox run memory-consolidator`).',
    ]);
  });

  it('warns of jobs for a tool no executor has offered, and of executors of the version before per-tool consumers', () => {
    const facts = given({ unserved: [{ subject: 'sbx.jobs.tool.mail.send', messages: 4 }], workers: [pool('tool-executor', 'sbx.jobs.tool.>')] });
    expect(warnings(facts)).toEqual([
      expect.stringMatching(/^tool-executor \(sbx\.jobs\.tool\.>\) is the consumer tool executors shared .* Stop them/),
      '4 messages wait on sbx.jobs.tool.mail.send, and no consumer takes that subject: start a tool executor that offers the tool.',
    ]);
  });

  it('lists the pools in the report', () => {
    const facts = given({ workers: [pool('tool-executor-web-fetch', 'sbx.jobs.tool.web.fetch', { waiting: 2, inProgress: 1, pulls: 1 })] });
    expect(formatReport(facts, diagnose(facts))).toContain('  tool-executor-web-fetch  sbx.jobs.tool.web.fetch · 2 waiting · 1 in progress · 1 pull');
  });
});

describe("diagnose the runtime's own tools", () => {
  it('warns of an executor offering a tool the runtime runs itself, whose calls would never reach it', () => {
    const facts = given({ workers: [pool('tool-executor-wait-time', 'sbx.jobs.tool.wait.time'), pool('tool-executor-web-fetch', 'sbx.jobs.tool.web.fetch')] });
    expect(warnings(facts)).toEqual([
      'A tool executor offers wait.time, which the runtime runs itself (decider version 9 on): no call of it reaches the executor. Rename the executor\'s tool.',
    ]);
  });
});

describe('diagnose the live subjects', () => {
  it('says nothing when no stream takes them', () => {
    expect(warnings(given({ liveCapturedBy: [] }))).toEqual([]);
  });

  it('warns of a stream that keeps the live text, naming it and what to change', () => {
    const [warning] = warnings(given({ liveCapturedBy: ['EVERYTHING'] }));
    expect(warning).toMatch(/The stream EVERYTHING takes sbx\.live\.\*/);
    expect(warning).toMatch(/Narrow its subjects/);
  });
});

describe('diagnose', () => {
  it('finds a current single server with R1 streams correct, naming the features it relies on', () => {
    const findings = diagnose(given());
    expect(findings.map((finding) => finding.level)).toEqual(['ok', 'ok', 'ok']);
    expect(findings[0]?.message).toMatch(/^nats-server 2\.15\.1 has every feature Signalbox uses \(message schedules, per-message TTL, /);
    expect(findings[2]?.message).toMatch(/single-replica \(R1\)/);
  });

  it('reports a server older than the floor as an error that says what to do', () => {
    const findings = diagnose(given({ version: '2.9.10' }));
    expect(findings[0]).toEqual({ level: 'error', message: expect.stringMatching(/^nats-server 2\.9\.10 is older than 2\.12\.0.*refuses it\. Upgrade every node.*scripts\/nats-server\.sh/) });
  });

  it('treats a version it cannot parse, or a pre-release of the floor, as too old', () => {
    expect(diagnose(given({ version: 'dev' }))[0]?.level).toBe('error');
    expect(diagnose(given({ version: '2.12.0-RC.1' }))[0]?.level).toBe('error');
    expect(diagnose(given({ version: 'v2.12.0' }))[0]?.level).toBe('ok');
  });

  it('lists which features a server version has', () => {
    expect(featuresOf('2.11.4').map((use) => [use.feature, use.available])).toEqual([
      ['message schedules', false],
      ['per-message TTL', true],
      ['expected last subject sequence on replicated streams', false],
    ]);
  });

  it('warns on R3 when sync_interval cannot be read', () => {
    const found = warnings(given({ replicas: 3, sync: unknown }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/sync_interval is unknown \(no monitoring endpoint\).*lost.*--monitor <url>/);
  });

  it('warns on R3 when the server only fsyncs in the background', () => {
    const facts = given({ replicas: 3, cluster: { name: 'c1', nodes: 3 } });
    expect(levels(facts)).toEqual(['ok', 'ok', 'warn']);
    expect(warnings(facts)).toEqual([expect.stringMatching(/^Every stream \(R3\) is replicated .*every 120s \(sync_interval not reported: the default\).*majority loses power.*sync_interval: always/)]);
  });

  it('finds R3 with sync_interval always safe', () => {
    const findings = diagnose(given({ replicas: 3, sync: always }));
    expect(findings.map((finding) => finding.level)).toEqual(['ok', 'ok', 'ok']);
    expect(findings[2]?.message).toMatch(/^Every stream \(R3\) is replicated with `sync_interval: always`/);
  });

  it('names the replicated streams when only some are', () => {
    const mixed = [...streams(3).slice(0, 2), ...streams(1).slice(2)];
    expect(warnings(given({ streams: mixed }))).toEqual([expect.stringMatching(/^SBX_EVENTS \(R3\), SBX_TASKS \(R3\) are replicated and the server fsyncs in the background/)]);
  });

  it('reports JetStream that is not enabled as the one error', () => {
    const findings = diagnose(given({ jetstream: { enabled: false, reason: 'the server does not advertise JetStream' }, streams: [], buckets: [] }));
    expect(findings).toEqual([{ level: 'error', message: expect.stringMatching(/not available.*Start nats-server with -js/) }]);
  });

  it('warns about missing streams and buckets, saying that init or a service makes them', () => {
    const facts = given({
      streams: [{ name: 'SBX_EVENTS', role: 'events', status: 'missing' }, ...streams(1).slice(1)],
      buckets: [{ name: 'sbx-agents', kind: 'kv', present: false }],
    });
    expect(warnings(facts)).toEqual([expect.stringMatching(/^Missing: stream SBX_EVENTS, bucket sbx-agents\. `signalbox init` makes them .*and so does any Signalbox service when it starts/)]);
  });

  it('gives no replication note when no stream exists yet', () => {
    const facts = given({ streams: streams(1).map(({ name, role }) => ({ name, role, status: 'missing' as const })) });
    expect(levels(facts)).toEqual(['ok', 'warn']);
  });

  it('reports retention that differs from what provisioning creates as an error', () => {
    const [events, ...rest] = streams(1);
    if (events?.status !== 'present') throw new Error('fixture');
    const findings = diagnose(given({ streams: [{ ...events, retention: 'workqueue' }, ...rest] }));
    expect(findings.filter((finding) => finding.level === 'error').map((finding) => finding.message)).toEqual([
      expect.stringMatching(/SBX_EVENTS has retention workqueue \(expected limits\)/),
    ]);
  });

  it('reports a timers stream without message schedules as an error: its timers would never fire', () => {
    const withTimers = streams(1).map((stream) => (stream.status === 'present' && stream.role === 'timers' ? { ...stream, schedules: false } : stream));
    const errors = diagnose(given({ streams: withTimers })).filter((finding) => finding.level === 'error');
    expect(errors).toEqual([{ level: 'error', message: expect.stringMatching(/^SBX_TIMERS does not allow message schedules, so no timer in it will ever fire/) }]);
  });

  it('warns about a replica that is offline or behind', () => {
    const [events, ...rest] = streams(3);
    if (events?.status !== 'present') throw new Error('fixture');
    const peers = [
      { name: 'n2', current: true, offline: false },
      { name: 'n3', current: false, offline: true },
    ];
    const found = warnings(given({ sync: always, streams: [{ ...events, leader: 'n1', peers }, ...rest] }));
    expect(found).toEqual([expect.stringMatching(/SBX_EVENTS: replica n3 \(offline\)/)]);
  });
});

describe('diagnose the event subscriber', () => {
  const durable = (name: string, waiting: number, pulls = 1) => ({ stream: 'SBX_EVENT_PARTITIONS', name, filter: '', waiting, inProgress: 0, pulls });

  it('reports a partition count other than the configured one as an error that says how to change it', () => {
    const errors = diagnose(given({ subscribers: { configuredPartitions: 16, stream: 'SBX_EVENT_PARTITIONS', streamPartitions: 8, durables: [] } })).filter((finding) => finding.level === 'error');
    expect(errors.map((finding) => finding.message)).toEqual([expect.stringMatching(/^SBX_EVENT_PARTITIONS splits sessions into 8 partitions, but SIGNALBOX_EVENT_PARTITIONS here is 16: .*stop the subscribing services/)]);
  });

  it('warns of a durable far behind, saying whether its group is running', () => {
    const durables = [durable('supervisor-p0', 20_000, 0), durable('grader-p1', 12_000), durable('grader-p2', 10)];
    expect(warnings(given({ subscribers: { configuredPartitions: 8, stream: 'SBX_EVENT_PARTITIONS', streamPartitions: 8, durables } }))).toEqual([
      expect.stringMatching(/^supervisor-p0 is 20000 events behind and no replica of its group is consuming/),
      expect.stringMatching(/^grader-p1 is 12000 events behind and its replicas do not keep up/),
    ]);
  });

  it('warns sooner of the supervisor, whose lag is how late its interventions come', () => {
    const durables = [durable('supervisor-p3', 1_500), durable('grader-p3', 1_500)];
    expect(warnings(given({ subscribers: { configuredPartitions: 8, stream: 'SBX_EVENT_PARTITIONS', streamPartitions: 8, durables } }))).toEqual([
      'supervisor-p3 is 1500 events behind and its replicas do not keep up: start more (up to one per partition). The supervisor acts on what it has read: its interventions come that late.',
    ]);
  });

  it('warns of a durable left on a partition the stream no longer has', () => {
    expect(warnings(given({ subscribers: { configuredPartitions: 4, stream: 'SBX_EVENT_PARTITIONS', streamPartitions: 4, durables: [durable('grader-p6', 0)] } }))).toEqual([
      expect.stringMatching(/^grader-p6 consumes partition 6, which SBX_EVENT_PARTITIONS no longer has/),
    ]);
  });
});

describe('syncSettingOf', () => {
  const varz = (version: string, config: NonNullable<Varz['jetstream']>['config'] = {}): Varz => ({ server_name: 'n1', version, jetstream: { config } });

  it('reads sync_always and sync_interval from /varz', () => {
    expect(syncSettingOf({ status: 'answered', url: 'u', varz: varz('2.15.1', { sync_always: true, sync_interval: 120e9 }) })).toEqual({ kind: 'always', node: 'n1' });
    expect(syncSettingOf({ status: 'answered', url: 'u', varz: varz('2.15.1', { sync_interval: 10e9 }) })).toMatchObject({ everyMs: 10_000, source: 'reported' });
  });

  it('takes the server default when /varz does not say', () => {
    expect(syncSettingOf({ status: 'answered', url: 'u', varz: varz('2.12.0') })).toMatchObject({ everyMs: 120_000, source: 'default' });
  });

  it('is unknown, with the reason, when the monitoring endpoint does not answer', () => {
    const sync = syncSettingOf({ status: 'unreachable', url: 'http://h:8222', error: 'ECONNREFUSED' });
    expect(sync).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/http:\/\/h:8222: ECONNREFUSED.*--monitor/) });
  });
});

describe('the report', () => {
  it('shows the server, one line per stream, and marked findings', () => {
    const facts = given({ replicas: 3, cluster: { name: 'c1', nodes: 3 } });
    const lines = formatReport(facts, diagnose(facts));
    expect(lines).toContain('cluster     c1 · 3 nodes');
    expect(lines).toContain('  SBX_DLQ               R3 · file · limits · max msg 1 MiB · dedup 2m · max age 30d · 0 messages · 0 B · 0 consumers');
    expect(lines).toContain('  ✓ message schedules (2.12.0+): durable timers (the timers stream)');
    expect(lines.slice(lines.indexOf('findings')).filter((line) => /^ {2}[✓!✗] /.test(line)).map((line) => line[2])).toEqual(['✓', '✓', '!']);
  });

  it('formats sizes and durations', () => {
    expect([formatBytes(1024 * 1024), formatBytes(10_487), formatBytes(-1)]).toEqual(['1 MiB', '10.2 KiB', 'unlimited']);
    expect([formatDuration(120_000), formatDuration(30 * 86_400_000), formatDuration(1500)]).toEqual(['2m', '30d', '1500ms']);
  });

  it('derives the monitoring URL from the NATS URL', () => {
    expect(defaultMonitorUrl('nats://10.0.0.5:4222')).toBe('http://10.0.0.5:8222');
    expect(defaultMonitorUrl('demo.example:4222,nats://other:4222')).toBe('http://demo.example:8222');
  });
});

describe('refusalFindings', () => {
  it('names the inbox prefix to set when the user may not hear its replies', () => {
    const [finding] = refusalFindings({ operation: 'subscription', subject: '_INBOX.abc.*', inboxPrefix: '_INBOX' });
    expect(finding).toMatchObject({ level: 'error', message: expect.stringMatching(/may not hear replies under _INBOX .*SIGNALBOX_NATS_INBOX_PREFIX/) });
  });

  it('sends a user kept from the streams to an admin user, whatever it was refused', () => {
    for (const refusal of [
      { operation: 'publish' as const, subject: '$JS.API.STREAM.INFO.SBX_EVENTS', inboxPrefix: '_INBOX.p' },
      { operation: 'subscription' as const, subject: 'sbx.events.>', inboxPrefix: '_INBOX.p' },
    ]) {
      const [finding] = refusalFindings(refusal);
      expect(finding?.level).toBe('error');
      expect(finding?.message).toContain(refusal.subject);
      expect(finding?.message).toContain('signalbox-admin');
    }
  });
});

describe('diagnose the permission broker', () => {
  const signer = (letter: string) => `U${letter.repeat(55)}`;
  const permissions = (fields: Partial<DoctorFacts['permissions']>): DoctorFacts['permissions'] => ({ brokers: [], grantSigners: [], unstoredPolicies: [], overdueApprovals: [], ...fields });

  it('warns when no broker answers: tool calls wait for one and are then denied', () => {
    expect(warnings(given({ permissions: permissions({}) }))).toEqual([
      'No permission broker answers: tool calls of new sessions wait for one and are then denied. Start one with `signalbox run permission-broker` (or `signalbox up`).',
    ]);
  });

  it('says nothing when executors require no grant, or a broker answering signs with a key they accept', () => {
    expect(warnings(given({ permissions: permissions({ brokers: [{ instance: 'b1', policies: [] }] }) }))).toEqual([]);
    const brokers = [{ instance: 'b1', signer: signer('B'), policies: [] }, { instance: 'b2', signer: signer('A'), policies: [] }];
    expect(warnings(given({ permissions: permissions({ brokers, grantSigners: [signer('A'), signer('C')] }) }))).toEqual([]);
  });

  it('warns when executors require grants that no answering broker signs', () => {
    const brokers = [{ instance: 'b1', signer: signer('B'), policies: [] }, { instance: 'b2', policies: [] }];
    expect(warnings(given({ permissions: permissions({ brokers, grantSigners: [signer('A')] }) }))).toEqual([
      `SIGNALBOX_GRANT_SIGNERS names 1 key no answering permission broker signs with: tool executors started with it would refuse every call. ` +
        `Brokers answering: b1 (${signer('B')}), b2 (signs no grants). Give a broker the seed of a key it names (SIGNALBOX_PERMISSION_BROKER_SEED), or name the brokers' keys in it.`,
    ]);
  });

  it('names each agent whose policy the policies bucket does not hold, and the policy', () => {
    const unstoredPolicies = [{ agent: 'researcher', policy: 'staging' }];
    expect(warnings(given({ permissions: permissions({ brokers: [{ instance: 'b1', policies: [] }], unstoredPolicies }) }))).toEqual([
      'Agent researcher names policy staging, which the policies bucket does not hold: the broker denies its tool calls. Apply it with `signalbox policies apply -f <file>`.',
    ]);
  });
});

describe('diagnose approvals', () => {
  const broker = [{ instance: 'b1', policies: [] }];
  const deadline = Date.UTC(2026, 11, 2, 9, 0);

  it('warns when calls still wait past their deadlines: no actor delivers the timers that deny them', () => {
    const overdueApprovals = [{ approvalId: 's2:0123456789ab', deadline: deadline + 5_000 }, { approvalId: 's1:ba9876543210', deadline }];
    expect(warnings(given({ permissions: { brokers: broker, grantSigners: [], unstoredPolicies: [], overdueApprovals } }))).toEqual([
      '2 calls are still waiting for approval past the deadline that should have denied it (the oldest, s1:ba9876543210, since 2026-12-02T09:00:00.000Z): ' +
        'session actors deliver the timers that deny them, and none seems to run. Start one with `signalbox run session-actor` (or `signalbox up`), or answer them with `signalbox approve|deny`.',
    ]);
  });

  it('says nothing while none is overdue', () => {
    expect(warnings(given({ permissions: { brokers: broker, grantSigners: [], unstoredPolicies: [], overdueApprovals: [] } }))).toEqual([]);
  });
});

describe('diagnose the vault', () => {
  const sealed = [{ name: 'GITHUB_TOKEN', keyId: '0a1b2c3d' }, { name: 'NPM_TOKEN', keyId: 'deadbeef' }];

  it('says nothing of an empty vault, key or no key, nor of one whose secrets the keys here open', () => {
    expect(warnings(given({ vault: { keys: {}, sealed: [], providerKeys: [] } }))).toEqual([]);
    expect(warnings(given({ vault: { keys: { current: 'deadbeef', previous: '0a1b2c3d' }, sealed, providerKeys: [] } }))).toEqual([]);
  });

  it('warns when the vault holds secrets and no key file is set here', () => {
    expect(warnings(given({ vault: { keys: {}, sealed, providerKeys: [] } }))).toEqual([expect.stringMatching(/^The vault holds 2 secrets, but SIGNALBOX_SECRETS_KEY_FILE is not set here/)]);
  });

  it('warns of each secret sealed under a key that is neither the current nor the previous, by name and key id', () => {
    expect(warnings(given({ vault: { keys: { current: 'deadbeef' }, sealed, providerKeys: [] } }))).toEqual([
      expect.stringMatching(/^1 secret in the vault is sealed under a key that is neither the current \(deadbeef\) nor the previous \(not set\) here: GITHUB_TOKEN \(0a1b2c3d\)\. .*secrets rotate/),
    ]);
  });
});

describe("the supervisor's gate", () => {
  const gatedAgents = [{ agent: 'careful', timeoutMs: 1_000, onNoAnswer: 'closed' as const }, { agent: 'hasty', timeoutMs: 250, onNoAnswer: 'open' as const }];
  const supervisor = (pulls: number) => ({ stream: 'SBX_EVENT_PARTITIONS', name: 'supervisor-p0', filter: 'sbx.partitioned.0.*', waiting: 0, inProgress: 0, pulls });
  const warnings = (facts: DoctorFacts) => diagnose(facts).flatMap((finding) => (finding.level === 'ok' ? [] : [finding.message]));
  const subscribers = (pulls: number) => ({ configuredPartitions: 8, stream: 'SBX_EVENT_PARTITIONS', streamPartitions: 8, durables: [supervisor(pulls)] });

  it('warns of agents with a gate when no supervisor is pulling from the log, saying what their calls do meanwhile', () => {
    expect(warnings(given({ gatedAgents, subscribers: subscribers(0) }))).toEqual([
      "Agent careful asks the supervisor's gate before each tool call, but no supervisor is running: every call waits 1000 ms, then is refused (the gate fails closed). Start one: `signalbox run supervisor`.",
      "Agent hasty asks the supervisor's gate before each tool call, but no supervisor is running: every call waits 250 ms, then runs unsupervised (the gate fails open). Start one: `signalbox run supervisor`.",
    ]);
  });

  it('is quiet with a supervisor running, or with no gated agent', () => {
    expect(warnings(given({ gatedAgents, subscribers: subscribers(1) }))).toEqual([]);
    expect(warnings(given({ subscribers: subscribers(0) }))).toEqual([]);
  });
});
