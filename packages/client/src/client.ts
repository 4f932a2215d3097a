import { createInbox, headers, type NatsConnection } from '@nats-io/nats-core';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import {
  AgentDefinition,
  encode,
  naming,
  replyToHeader,
  SessionIndexEntry,
  TaskOutcome,
  type DreamJob,
  type DreamRun,
  type ForkRequest,
  type GradeCommand,
  type GradeJob,
  type LiveMessage,
  type Naming,
  type Policy,
  type SessionEvent,
  type Task,
} from '@signalbox/events';
import { sendToSession, type SentCommand } from '@signalbox/runtime';
import { checkHistory, evolve, initialState, type HistoryCheck } from '@signalbox/session';
import {
  liveWorkspaceView,
  MemoryStore,
  openEventReader,
  requireSupportedServer,
  SecretVault,
  SessionDeleter,
  unadvertisedTools,
  workspaceViewAt,
  WorkspaceFiles,
  type DeletionHook,
  type DeletionPlan,
  type DeletionReport,
  type DeletionRefusal,
  type EventReader,
  type ReadOptions,
  type SessionDeletion,
  type VaultKey,
  type VaultKeys,
  type WorkspaceEntry,
} from '@signalbox/store';
import { ulid } from 'ulid';
import { answerApproval, pendingApprovals, type ApprovalOptions, type PendingApproval } from './approvals.ts';
import { listDeadLetters, redrive, type DeadLetter } from './dead-letters.ts';
import { forkEdit, type ForkOptions } from './fork.ts';
import { followLive } from './live.ts';
import { sendDreamJob, waitForDreamRun, type DreamOptions } from './memory.ts';
import { policyVersions, putPolicy, readPolicy, type PolicyVersion } from './policies.ts';
import { readRegradeReply, regradeRequestError } from './regrade.ts';
import { readRunTree, type RunTree, type TreeLimits } from './run-tree.ts';
import { pauseSession, resumeSession, UnknownSessionError, type PauseOptions, type ResumeOptions, type SessionTarget } from './session-control.ts';
import { followRunTree, type TreeEvent, type TreeFollowOptions } from './tree-follow.ts';
import { summarise, type SessionSummary } from '@signalbox/session';
import { closeSession, interruptSession, sendMessage, signalSession, type CloseOptions, type InterruptOptions, type SendOptions, type SignalOptions } from './conversation.ts';
import { jsonOrUndefined } from './stored-json.ts';

/** Index entries read at once when listing sessions. */
const sessionReadBatch = 256;

export interface SubmitOptions {
  /** How long to wait for the session actor to admit the task. */
  timeoutMs?: number;
  /**
   * Where to hear the verdict (default: the connection's inbox prefix). Actors answer only under
   * `_INBOX.`, so a service's connection (`_SBX_INBOX.<service>`) names its own, like `_INBOX.gateway`.
   */
  inboxPrefix?: string;
}

export interface DeleteOptions {
  /** Also delete the sessions' forks and subagents (and theirs); without it a session that has any is refused. */
  cascade?: boolean;
  /** Other stores' deletion hooks (a memory store's), run after the built-in ones for each session. */
  hooks?: readonly DeletionHook[];
}

/** What `deleteSessions` did: nothing and why, or the sessions it deleted (each hook that failed keeps its session). */
export type DeletionOutcome = { kind: 'refused'; refusals: DeletionRefusal[] } | { kind: 'deleted'; sessions: SessionDeletion[]; report: DeletionReport };

/** The TypeScript SDK: what the CLI does, for programs and tests. */
export class SignalboxClient {
  readonly nc: NatsConnection;
  readonly names: Naming;
  readonly #store: EventReader;

  private constructor(nc: NatsConnection, names: Naming, store: EventReader) {
    this.nc = nc;
    this.names = names;
    this.#store = store;
  }

  /** Throws UnsupportedServerError when the connection's server is older than Signalbox supports. */
  static async open(nc: NatsConnection, prefix = 'sbx'): Promise<SignalboxClient> {
    requireSupportedServer(nc);
    const names = naming(prefix);
    return new SignalboxClient(nc, names, await openEventReader(nc, names));
  }

  /** Validates an agent definition and stores it in the agents bucket; returns it with defaults filled in. */
  async applyAgent(definition: unknown): Promise<AgentDefinition> {
    const agent = AgentDefinition.parse(definition);
    const bucket = await this.#bucket(this.names.buckets.agents);
    await bucket.put(agent.name, JSON.stringify(agent));
    return agent;
  }

  /** Every stored agent definition that validates, by name (deleted ones and ones that no longer validate left out). */
  async agents(): Promise<AgentDefinition[]> {
    const names = (await this.#keys(this.names.buckets.agents)).sort();
    const agents = await Promise.all(names.map((name) => this.agent(name)));
    return agents.filter((agent) => agent !== undefined);
  }

  /** The stored agent definition `name`, or undefined when there is none (or it no longer validates). */
  async agent(name: string): Promise<AgentDefinition | undefined> {
    const entry = await (await this.#bucket(this.names.buckets.agents)).get(name);
    const parsed = entry?.operation === 'PUT' ? AgentDefinition.safeParse(jsonOrUndefined(entry)) : undefined;
    return parsed?.success ? parsed.data : undefined;
  }

  /**
   * Validates a policy and stores it in the policies bucket under its name; resolves to its name and
   * new version (the key's revision). A `version` given in it is ignored: see `putPolicy`.
   */
  async applyPolicy(policy: unknown): Promise<PolicyVersion> {
    return putPolicy(await this.#bucket(this.names.buckets.policies), policy);
  }

  /** Every stored policy's name and version, by name. */
  async policies(): Promise<PolicyVersion[]> {
    const name = this.names.buckets.policies;
    return policyVersions(await this.#bucket(name), await this.#keys(name));
  }

  /** The stored policy `name` with its `version`, or undefined when there is none. */
  async policy(name: string): Promise<Policy | undefined> {
    return readPolicy(await this.#bucket(this.names.buckets.policies), name);
  }

  /** Deletes the policy `name`; false when there was none. Agents naming it then have their tool calls denied. */
  async deletePolicy(name: string): Promise<boolean> {
    const bucket = await this.#bucket(this.names.buckets.policies);
    if ((await readPolicy(bucket, name)) === undefined) return false;
    await bucket.delete(name);
    return true;
  }

  /**
   * Seals `value` under `key` and stores it in the vault as `name` (letters, digits and `_`). Values
   * go in, never out: only a tool executor opens a secret, for a call granted it.
   */
  async setSecret(name: string, value: string, key: VaultKey): Promise<void> {
    await (await SecretVault.open(this.nc, this.names)).set(name, value, key);
  }

  /** The names of the secrets in the vault, sorted. */
  async secretNames(): Promise<string[]> {
    return (await SecretVault.open(this.nc, this.names)).names();
  }

  /** Which key each stored secret is sealed under, by its id: what `doctor` and a rotation check. */
  async secretKeyIds(): Promise<{ name: string; keyId: string }[]> {
    return (await SecretVault.open(this.nc, this.names)).keyIds();
  }

  /** Removes a secret and its history; false when there was none. */
  async deleteSecret(name: string): Promise<boolean> {
    return (await SecretVault.open(this.nc, this.names)).delete(name);
  }

  /** Seals every secret again under `next`, opening each with `keys` (nothing changes if one does not open); resolves to their names. */
  async rotateSecrets(keys: VaultKeys, next: VaultKey): Promise<string[]> {
    return (await SecretVault.open(this.nc, this.names)).rotate(keys, next);
  }

  /** Those of `tools` no tool executor has advertised: an agent naming one cannot start a session. */
  unadvertisedTools(tools: readonly string[]): Promise<string[]> {
    return unadvertisedTools(this.nc, this.names, tools);
  }

  /** Publishes a task durably and waits for the session actor's verdict: accepted, duplicate or rejected. */
  async submit(agent: string, task: Task, options: SubmitOptions = {}): Promise<TaskOutcome> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    const inbox = createInbox(options.inboxPrefix ?? inboxPrefixOf(this.nc));
    const subscription = this.nc.subscribe(inbox, { max: 1, timeout: timeoutMs });
    const hdrs = headers();
    hdrs.set(replyToHeader, inbox);
    hdrs.set('Content-Type', 'application/json');
    const subject = this.names.subjects.task(agent);
    await jetstream(this.nc).publish(subject, JSON.stringify(task), { headers: hdrs }).catch((error: unknown) => {
      throw unpublishable(subject, error);
    });
    try {
      for await (const reply of subscription) return TaskOutcome.parse(reply.json());
    } catch (error) {
      throw new Error(`the task is queued, but no session actor answered within ${timeoutMs} ms; is one running?`, { cause: error });
    }
    throw new Error('the reply subscription closed before an answer came');
  }

  /**
   * Starts a new session from `sessionId`'s first `options.at` events (the last one edited if asked),
   * which then continues live. Returns the fork's session id; follow it to watch. Throws ForkError
   * when the original's log does not allow the fork.
   */
  async fork(sessionId: string, options: ForkOptions): Promise<string> {
    const edit = forkEdit(sessionId, await this.events(sessionId), options);
    const forkId = options.sessionId ?? ulid();
    const from = { sessionId, n: options.at, ...(options.hermetic ? { hermetic: true } : {}) };
    const request: ForkRequest = { type: 'fork', sessionId: forkId, from, ...(edit ? { edit } : {}) };
    const { model, system, supervision } = options;
    if (model !== undefined || system !== undefined || supervision !== undefined) request.agent = { model, system, supervision };
    // The fork id is the message id: asking again for the same fork within the stream's window is a no-op.
    await sendToSession(this.nc, this.names, forkId, request, { messageId: `fork/${forkId}` });
    return forkId;
  }

  /**
   * Pauses a session: it records `session.paused` (who, why) and makes no model or tool call until
   * resumed, across restarts. Resolves once its inbox holds the command; see session-control.ts.
   */
  pause(sessionId: string, options: PauseOptions = {}): Promise<SentCommand> {
    return pauseSession({ nc: this.nc, names: this.names, store: this.#store }, sessionId, options);
  }

  /** The calls sessions hold for a person's approval, the nearest deadline first (from the sessions index). */
  async approvals(): Promise<PendingApproval[]> {
    return pendingApprovals(await this.sessions());
  }

  /**
   * Approves a call held for approval (`scope: 'session'`: the tool's later calls in that session too):
   * its session records who approved it and runs the call. See approvals.ts for what it throws.
   */
  async approve(approvalId: string, options: ApprovalOptions = {}): Promise<SentCommand> {
    return answerApproval({ nc: this.nc, names: this.names, sessions: await this.#bucket(this.names.buckets.sessions) }, approvalId, true, options);
  }

  /** Denies a call held for approval: the model is told who said no, and the note. */
  async deny(approvalId: string, options: Omit<ApprovalOptions, 'scope'> = {}): Promise<SentCommand> {
    return answerApproval({ nc: this.nc, names: this.names, sessions: await this.#bucket(this.names.buckets.sessions) }, approvalId, false, options);
  }

  /** Resumes a paused session, with its budget's limits set to `maxSteps` / `maxCostUsd` when given. */
  resume(sessionId: string, options: ResumeOptions = {}): Promise<SentCommand> {
    return resumeSession({ nc: this.nc, names: this.names, store: this.#store }, sessionId, options);
  }

  /**
   * Sends a user message to a session (decider version 9 on): an idle conversation starts its next turn
   * with it, a running session queues it for the turn after, or with `interrupt` stops the running step first.
   */
  send(sessionId: string, text: string, options: SendOptions = {}): Promise<SentCommand> {
    return sendMessage(this.#target(), sessionId, text, options);
  }

  /** Stops a session's current step (its model call abandoned, its tool calls told to stop); it then waits for the next message. */
  interrupt(sessionId: string, options: InterruptOptions = {}): Promise<SentCommand> {
    return interruptSession(this.#target(), sessionId, options);
  }

  /** Ends a conversation: an idle session completes with its last answer, a running one ends aborted. */
  close(sessionId: string, options: CloseOptions = {}): Promise<SentCommand> {
    return closeSession(this.#target(), sessionId, options);
  }

  /** Sends a named signal: a `wait.signal` call waiting for it completes with the payload, or the session keeps it for its next. */
  signal(sessionId: string, name: string, options: SignalOptions = {}): Promise<SentCommand> {
    return signalSession(this.#target(), sessionId, name, options);
  }

  #target(): SessionTarget {
    return { nc: this.nc, names: this.names, store: this.#store };
  }

  /** The latest `limit` messages the runtime would not process (rejected tasks, dead jobs...), newest first, with the reason. */
  deadLetters(limit = 20): Promise<DeadLetter[]> {
    return listDeadLetters(this.nc, this.names, limit);
  }

  /** Sends dead letter `seq` again to where it came from (after fixing what made it fail) and drops it; returns that subject. */
  redrive(seq: number): Promise<string> {
    return redrive(this.nc, this.names, seq);
  }

  /**
   * Sends a grade job to the grader pool (`names.subjects.regrade`, request/reply) and resolves to its
   * grade, with the workspace a fork inherited as the session actor sends it. Nothing goes to the
   * session: its log is not touched. Throws RegradeError when no grader answers (none running), none
   * answers within `timeoutMs`, or the grader could not grade.
   */
  async regrade(job: GradeJob, options: { timeoutMs?: number } = {}): Promise<GradeCommand> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const inherited = (await liveWorkspaceView(this.#store, job.correlationId)).slice(1);
    const sent = inherited.length === 0 ? job : { ...job, inherited };
    let reply;
    try {
      reply = await this.nc.request(this.names.subjects.regrade, encode(sent), { timeout: timeoutMs });
    } catch (error) {
      throw regradeRequestError(error, timeoutMs);
    }
    return readRegradeReply(reply.data);
  }

  /** Whether the code running here still decides the session's recorded run the same way (`replay --check`). */
  async check(sessionId: string): Promise<HistoryCheck> {
    return checkHistory(await this.events(sessionId));
  }

  /**
   * A tool output too long to carry in its `tool.completed` event, which holds its beginning and names
   * it in `wholeOutput`: the whole text, or undefined when no output is stored under that sha256.
   */
  async toolOutput(sha256: string): Promise<string | undefined> {
    const store = await new Objm(this.nc).open(this.names.objectStores.toolOutputs);
    const bytes = await store.getBlob(sha256);
    return bytes === null ? undefined : Buffer.from(bytes).toString('utf8');
  }

  /**
   * The files of the session's run as they were after its event `n` (its last event when not given):
   * what its tool calls had written by then, and for a fork what its origin had at the fork point.
   */
  async workspaceAt(sessionId: string, n?: number): Promise<WorkspaceEntry[]> {
    const upTo = n ?? (await this.#store.head(sessionId)).n;
    const view = await workspaceViewAt(this.#store, sessionId, upTo);
    const files = await (await WorkspaceFiles.open(this.nc, this.names)).list(view);
    return files.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** The session's events so far (those from `fromN` to `toN` when given). */
  events(sessionId: string, range: Pick<ReadOptions, 'fromN' | 'toN'> = {}): Promise<SessionEvent[]> {
    return this.#store.read(sessionId, range);
  }

  /** Whether the log holds a session of this id (read: its first event). */
  async hasSession(sessionId: string): Promise<boolean> {
    return (await this.#store.first(sessionId))?.sessionId === sessionId;
  }

  /**
   * What the session came to, once it completes: waits for its `session.completed` (rejects with an
   * AbortError when the signal aborts first). `structuredOutput` holds the answer's JSON value for a
   * session with an `output` schema.
   */
  async result(sessionId: string, signal?: AbortSignal): Promise<SessionSummary> {
    const events: SessionEvent[] = [];
    for await (const event of this.follow(sessionId, signal)) events.push(event);
    signal?.throwIfAborted();
    return summarise(sessionId, events);
  }

  /**
   * The session's events after event `after` (0: from the start), live, ending after `session.completed`
   * (or when the signal aborts). Resuming far into a long log costs a seek, not a read of what came before.
   */
  async *follow(sessionId: string, signal?: AbortSignal, after = 0): AsyncGenerator<SessionEvent> {
    if (after > 0 && (await this.#endedBy(sessionId, after))) return;
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    for await (const event of this.#store.tail(sessionId, { signal: controller.signal, fromN: after + 1 })) {
      yield event;
      if (event.type === 'session.completed') controller.abort();
    }
  }

  /** Whether the session completed at or before event `after`: resumed there, a follow has nothing more to send. */
  async #endedBy(sessionId: string, after: number): Promise<boolean> {
    const { n, seq } = await this.#store.head(sessionId);
    // From the head's own message: read from the log's start, a session of thousands of events would be read whole.
    return n > 0 && n <= after && (await this.#store.read(sessionId, { fromN: n, toN: n, fromSeq: seq }))[0]?.type === 'session.completed';
  }

  /**
   * The session's events after event `after` (0: from its start), live, ending once it completes or
   * waits, idle, for a message (a conversation's turn ended, or an interrupt stopped it): a turn's worth.
   */
  async *followTurn(sessionId: string, options: { after?: number; signal?: AbortSignal } = {}): AsyncGenerator<SessionEvent> {
    const { after = 0, signal } = options;
    let state = initialState();
    for await (const event of this.follow(sessionId, signal)) {
      state = evolve(state, event);
      if (event.n <= after) continue;
      yield event;
      if (state.status === 'idle') return;
    }
  }

  /**
   * The run `sessionId` is the root of (#22): it and its subagents, found by their parents'
   * `subagent.spawned`, each with its status, own spend and outcome, read within `limits`.
   * Throws UnknownSessionError when the session has no log.
   */
  async runTree(sessionId: string, limits: TreeLimits = {}): Promise<RunTree> {
    const tree = await readRunTree(sessionId, (id) => this.events(id), limits);
    if (tree.root.status === 'no log') throw new UnknownSessionError(`no session ${sessionId}`);
    return tree;
  }

  /**
   * The events of the run `sessionId` is the root of, live, each with its lane: the root's, and each
   * child's from when its parent spawns it; ends when every session followed has completed. Throws
   * UnknownSessionError when the session has no log.
   */
  async *followTree(sessionId: string, options: TreeFollowOptions = {}): AsyncGenerator<TreeEvent> {
    const first = await this.#store.first(sessionId);
    if (first?.sessionId !== sessionId) throw new UnknownSessionError(`no session ${sessionId}`);
    const agent = first.type === 'session.created' ? first.data.agent.name : '';
    const logs = { follow: (id: string, signal: AbortSignal) => this.follow(id, signal), hasLog: (id: string) => this.hasSession(id) };
    yield* followRunTree({ sessionId, agent }, logs, options);
  }

  /** The session's model text as it arrives, until the signal aborts: see `followLive`. */
  live(sessionId: string, signal?: AbortSignal): AsyncGenerator<LiveMessage> {
    return followLive(this.nc, sessionId, { prefix: this.names.prefix, ...(signal ? { signal } : {}) });
  }

  /** Agents' memory stores (#21): their definitions, versions, promotion and rollback (see `MemoryStore`). */
  async memory(): Promise<MemoryStore> {
    return MemoryStore.open(this.nc, this.names);
  }

  /** Asks the memory consolidator to consolidate `store` now; resolves to the job sent. */
  async dream(store: string, options: DreamOptions): Promise<DreamJob> {
    return sendDreamJob(this.nc, this.names, await this.memory(), store, options);
  }

  /** What a dream job did, waiting up to `timeoutMs` for the consolidator to record it; undefined if it did not. */
  async dreamRun(store: string, jobId: string, options: { timeoutMs?: number } = {}): Promise<DreamRun | undefined> {
    return waitForDreamRun(await this.memory(), store, jobId, options.timeoutMs ?? 0);
  }

  async #bucket(name: string) {
    try {
      return await new Kvm(this.nc).open(name);
    } catch (error) {
      throw new Error(
        `cannot open the ${name} bucket: Signalbox is not set up on this NATS yet. Run \`signalbox init\`, or start its services once (signalbox up, or signalbox run <service>); they create the streams and buckets`,
        { cause: error },
      );
    }
  }

  /**
   * Every key the bucket has held and not purged (deleted ones too), from its stream info (paged
   * requests), not `bucket.keys()`: its consumer can wait for an idle heartbeat (30 s) when entries
   * change while it lists them.
   */
  async #keys(name: string): Promise<string[]> {
    const prefix = `$KV.${name}.`;
    const info = await (await jetstreamManager(this.nc)).streams.info(`KV_${name}`, { subjects_filter: `${prefix}>` });
    return Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
  }

  /** What deleting `sessionIds` would remove, in order, or why it is refused; deletes nothing. */
  async planDeletion(sessionIds: readonly string[], options: Pick<DeleteOptions, 'cascade'> = {}): Promise<DeletionPlan> {
    return (await SessionDeleter.open(this.nc, this.names)).plan(sessionIds, options.cascade ?? false);
  }

  /** The indexed sessions whose `metadata` holds every `key=value` of `filter` (none for an empty filter). */
  async sessionsWhere(filter: Readonly<Record<string, string>>): Promise<string[]> {
    return (await SessionDeleter.open(this.nc, this.names)).matching(filter);
  }

  /**
   * Deletes completed sessions everywhere (log, index, snapshots, transcripts, workspace, ledger,
   * long outputs no other session refers to, inbox, timers, jobs, dead letters). All or nothing at
   * planning: one refusal deletes nothing. Idempotent: run again after a failure to finish.
   */
  async deleteSessions(sessionIds: readonly string[], options: DeleteOptions = {}): Promise<DeletionOutcome> {
    const deleter = await SessionDeleter.open(this.nc, this.names, options.hooks);
    const plan = await deleter.plan(sessionIds, options.cascade ?? false);
    if (plan.kind === 'refused') return plan;
    return { kind: 'deleted', sessions: plan.sessions, report: await deleter.execute(plan.sessions) };
  }

  /** The session's row in the index, or undefined when it has none. */
  async session(sessionId: string): Promise<SessionIndexEntry | undefined> {
    const entry = await (await this.#bucket(this.names.buckets.sessions)).get(sessionId);
    const parsed = entry?.operation === 'PUT' ? SessionIndexEntry.safeParse(jsonOrUndefined(entry)) : undefined;
    return parsed?.success ? parsed.data : undefined;
  }

  /** Sessions from the index, newest first. */
  async sessions(): Promise<SessionIndexEntry[]> {
    const name = this.names.buckets.sessions;
    const bucket = await this.#bucket(name);
    const keys = await this.#keys(name);
    const entries: SessionIndexEntry[] = [];
    for (let start = 0; start < keys.length; start += sessionReadBatch) {
      for (const entry of await Promise.all(keys.slice(start, start + sessionReadBatch).map((key) => bucket.get(key)))) {
        const parsed = entry?.operation === 'PUT' ? SessionIndexEntry.safeParse(jsonOrUndefined(entry)) : undefined;
        if (parsed?.success) entries.push(parsed.data);
      }
    }
    return entries.sort((a, b) => b.createdAt - a.createdAt);
  }
}

/**
 * nats.js calls a JetStream publish nothing answers "jetstream is not enabled", which is seldom true:
 * most often no stream takes the subject yet. Said as what to check instead.
 */
function unpublishable(subject: string, error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== 'JetStreamNotEnabled') return error;
  return new Error(`no stream takes ${subject} here: Signalbox is not set up on this NATS (run \`signalbox init\`), or JetStream is off`, { cause: error });
}

/**
 * The inbox prefix the connection was opened with: a publisher's NATS user may subscribe only under
 * its own. nats.js keeps it on the connection, outside the `NatsConnection` interface.
 */
function inboxPrefixOf(nc: NatsConnection): string | undefined {
  return (nc as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
}
