import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import type { GradeJob, Naming, SubagentStartCommand, ToolJob } from '@signalbox/events';
import { permissionCheck, type SessionCommand, type SessionEffect, type SessionState } from '@signalbox/session';
import { Rejection, sendToSession, type InProcessPermissions, type InProcessTools } from '@signalbox/runtime';
import { CorruptLogError, type SnapshotStore } from '@signalbox/store';
import { liveSessionTimers, type SessionTimers } from './session-timers.ts';
import { InFlightCalls, sendCancelledCalls, stopSteps } from './interrupts.ts';
import { InProcessCalls, inProcessToolPort } from './in-process-calls.ts';
import { markingUnforked, UnforkedRuns } from './unforked-runs.ts';
import { InterruptsOnTheWay } from './interrupts-on-the-way.ts';
import { liveGradePort, liveModelPort, liveToolPort, type GradePort, type ModelPort, type ToolPort } from './effect-ports.ts';
import { ForkRecordings } from './fork-recordings.ts';
import { liveTextPublisher } from './live-text.ts';
import { livePermissionPort, type PermissionPort } from './permission-checks.ts';
import { liveGateAsker, liveModelGateAsker, type ModelGateAsker } from './supervisor-gate.ts';
import { summarise, type ModelResolver } from './model-caller.ts';
import { sendToParent } from './subagents.ts';
import { liveMemoryPort, type MemoryPort, type SessionMemory } from './memory-port.ts';
import { recordingGradePort, recordingMemoryPort, recordingModelPort, recordingToolPort } from './recording-ports.ts';
import { liveRewindForks, type RewindForks } from './rewind-forks.ts';
import type { LoadedSession } from './session-cache.ts';
import { recordUnreadableInIndex } from './session-index.ts';
import { KeyedLock } from './session-lock.ts';
import { SessionLog, type FollowUp, type Recorded, type SessionLogDeps } from './session-log.ts';
import { SessionSnapshots } from './session-snapshots.ts';
import { callKey, gradeKey } from '../core/trace-spans.ts';

export interface SessionRunnerDeps extends Omit<SessionLogDeps, 'snapshots'> {
  nc: NatsConnection;
  names: Naming;
  snapshots: SnapshotStore<SessionState>;
  /** Events between snapshots; 0 turns them off. */
  snapshotEvery: number;
  resolveModel: ModelResolver;
  /** This actor's own inbox token: tool results of the calls it dispatches come back to it. */
  actor: string;
  /** How long a tool call waits for a permission broker's verdict before it is denied. */
  permissionCheckTimeoutMs: number;
  /** The partitions stream's partition count, which routes the supervisor's gate requests. */
  eventPartitions: number;
  /** Send each model call's text as it arrives on the session's live subject; off, no model is asked to stream. */
  liveOutput?: boolean;
  /** The memory stores sessions load and write (decider version 10 on). */
  memory: SessionMemory;
  /** The tool executors of this process, which run the calls they take here rather than over NATS. */
  inProcessTools?: InProcessTools;
  /** The permission brokers of this process, which answer its checks without a request. */
  inProcessPermissions?: InProcessPermissions;
}

export interface CommandOptions {
  /** Id of the message that carried the command, recorded as the first event's causation. */
  causationId: string;
  /** Told how many events the command appended, before any model call it leads to. */
  onDecided?: (appended: number) => void;
  /** The trace context its message came with (`traceparent`): a turn the command starts is traced under it. */
  traceparent?: string;
}

export interface CommandResult {
  state: SessionState;
  /** Events the command itself appended (0 for a duplicate). */
  appended: number;
}

/**
 * The session actor's loop, one session at a time: the log records a command (load, decide, append),
 * and the effects it asks for are performed through the model and tool ports; a model's answer is
 * the next command, a tool's comes back on the inbox. Hermetic forks' answers sit behind the ports.
 */
export class SessionRunner {
  readonly #log: SessionLog;
  readonly #snapshots: SessionSnapshots;
  readonly #model: ModelPort;
  readonly #tools: ToolPort;
  readonly #grades: GradePort;
  readonly #memory: MemoryPort;
  readonly #permissions: PermissionPort;
  readonly #askModelGate: ModelGateAsker;
  readonly #timers: SessionTimers;
  /** The model calls in flight here, which an interrupt heard on the core subject abandons. */
  readonly inFlight = new InFlightCalls();
  /** Interrupts heard on the core subject and not yet applied here, which a session's tool results wait for. */
  readonly interruptsOnTheWay = new InterruptsOnTheWay();
  readonly #rewindForks: RewindForks;
  readonly #inProcess = new InProcessCalls();
  readonly #unforked = new UnforkedRuns();
  readonly #recordings: ForkRecordings;
  readonly #lock = new KeyedLock();
  readonly #deps: SessionRunnerDeps;

  constructor(deps: SessionRunnerDeps) {
    this.#deps = deps;
    const { store, snapshots, transcripts, logger, snapshotEvery: every } = deps;
    this.#snapshots = new SessionSnapshots({ store, snapshots, transcripts, logger, every });
    this.#log = new SessionLog({ ...deps, snapshots: this.#snapshots });
    const recordings = (this.#recordings = new ForkRecordings(store));
    const openLive = deps.liveOutput === false ? undefined : liveTextPublisher({ publish: (subject, payload) => deps.nc.publish(subject, payload), names: deps.names, logger });
    // A call's span (model or tool), while this actor traces its turn: its provider request and its job carry it.
    const traceparentOfCall = deps.traces && ((sessionId: string, callId: string) => deps.traces?.traceparentOf(sessionId, callKey(callId)));
    this.#model = recordingModelPort(liveModelPort(deps.resolveModel, deps.clock, openLive, traceparentOfCall), recordings);
    const traceparentOfJob = traceparentOfCall && ((job: ToolJob) => traceparentOfCall(job.sessionId, job.callId));
    const liveTools = liveToolPort(jetstream(deps.nc), deps.names, deps.actor, traceparentOfJob);
    const tools = deps.inProcessTools ? inProcessToolPort(liveTools, deps.inProcessTools, this.#inProcess, logger, traceparentOfJob) : liveTools;
    this.#tools = recordingToolPort(markingUnforked(tools, this.#unforked), recordings);
    // An attempt's grading span, which its grade job carries to the grader.
    const traceparentOfGrading = deps.traces && ((job: GradeJob) => deps.traces?.traceparentOf(job.sessionId, gradeKey(job.attempt)));
    this.#grades = recordingGradePort(liveGradePort(jetstream(deps.nc), deps.names, store, traceparentOfGrading), recordings);
    this.#memory = recordingMemoryPort(liveMemoryPort(deps.memory, deps.clock), recordings);
    this.#timers = liveSessionTimers(deps.nc, deps.names, deps.clock);
    const traceparentOfStep = deps.traces && ((sessionId: string) => deps.traces?.traceparentOf(sessionId, 'step'));
    // A model call's gate request hangs under the call's span, the tool calls' under the step's.
    const traceparentOfGate = traceparentOfStep && ((sessionId: string, modelCallId?: string) => (modelCallId && traceparentOfCall?.(sessionId, modelCallId)) || traceparentOfStep(sessionId));
    const gateOptions = { eventPartitions: deps.eventPartitions, clock: deps.clock, logger, ...(traceparentOfGate ? { traceparentOf: traceparentOfGate } : {}) };
    const askGate = liveGateAsker(deps.nc, deps.names, gateOptions);
    this.#askModelGate = liveModelGateAsker(deps.nc, deps.names, gateOptions);
    this.#rewindForks = liveRewindForks(deps.nc, deps.names);
    const inProcessPermissions = deps.inProcessPermissions ? { inProcess: deps.inProcessPermissions } : {};
    this.#permissions = livePermissionPort(deps.nc, deps.names, { timeoutMs: deps.permissionCheckTimeoutMs, clock: deps.clock, logger, askGate, ...(traceparentOfStep ? { traceparentOf: traceparentOfStep } : {}), ...inProcessPermissions });
  }

  /**
   * An interrupt from the session's inbox (or a message that cut in) was applied: its results wait no
   * longer here, and executors that heard it go on with the session's calls they held back (the calls it
   * cancelled, if any, were named when it was recorded).
   */
  interruptApplied(sessionId: string, by: string): void {
    this.interruptsOnTheWay.applied(sessionId);
    sendCancelledCalls(this.#deps.nc, this.#deps.names, { sessionId, by, calls: [] });
  }

  async execute(sessionId: string, command: SessionCommand, options: CommandOptions): Promise<CommandResult> {
    try {
      const outcome = await this.#lock.run(sessionId, () => this.#executeReadable(sessionId, command, options));
      await this.#recordInProcessCalls(sessionId);
      return outcome;
    } finally {
      this.#inProcess.ended(sessionId);
    }
  }

  /**
   * Records the results of the calls the session's steps ran in this process, each as a result from the
   * inbox is: after the interrupts heard on the way, in a turn of the session's lock of its own, so what
   * waits for the session (a pause, an interrupt, an intervention) is applied between steps. A step they
   * lead to may run more calls here; the command's message is held until the steps wait on something
   * outside this process.
   */
  async #recordInProcessCalls(sessionId: string): Promise<void> {
    for (let calls = this.#inProcess.take(sessionId); calls.length > 0; calls = this.#inProcess.take(sessionId)) {
      for (const result of await Promise.all(calls)) {
        if (result === undefined) continue;
        await this.interruptsOnTheWay.before(sessionId);
        const record: SessionCommand = { type: 'RecordToolResult', result };
        await this.#lock.run(sessionId, () => this.#executeReadable(sessionId, record, { causationId: `in-process/${result.callId}` }));
      }
    }
  }

  /**
   * A log holding a message that is not events (garbage published on the session's subject) cannot
   * be folded, so no event can be decided: the session is marked failed in the index with the reason,
   * and this and every later command is refused (dead-lettered) with it. The log is left as it is.
   */
  async #executeReadable(sessionId: string, command: SessionCommand, options: CommandOptions): Promise<CommandResult> {
    try {
      return await this.#execute(sessionId, command, options);
    } catch (error) {
      if (!(error instanceof CorruptLogError)) throw error;
      const reason = `session ${sessionId} cannot go on: ${error.message}`;
      await recordUnreadableInIndex(this.#deps.sessionIndex, sessionId, reason, this.#deps.clock());
      throw new Rejection(reason, { cause: error });
    }
  }

  /** Waits for background work (snapshot writes) to finish, before the connection closes. */
  settled(): Promise<void> {
    return this.#snapshots.settled();
  }

  async #execute(sessionId: string, command: SessionCommand, options: CommandOptions): Promise<CommandResult> {
    const first = await this.#log.record(sessionId, command, options.causationId, options.traceparent);
    options.onDecided?.(first.appended);
    this.#recordings.know(first.session.state);
    this.#unforked.know(first.session.state);
    // Only a command's own decision asks for a fork (a rewind, or the same one again), before the Resume below may replace its effects.
    await this.#rewindForks.perform(first.effects);
    let { session, effects } = first;
    // A command the log already holds may come back because a worker died mid-step (a server restart
    // can even reset its delivery count), and 'deciding' waits on nothing outside: either way, pick up
    // what the log left unfinished. At worst this repeats a model call, which is at-least-once anyway.
    const alreadyApplied = first.appended === 0 && session.state.status !== 'new';
    if (alreadyApplied || session.state.status === 'deciding') {
      ({ session, effects } = await this.#log.record(sessionId, { type: 'Resume' }, options.causationId));
      if (session.state.status !== 'new') await this.#log.index(session.state);
    }
    // Answers a port knew at once (such as recorded results), waiting to be recorded.
    const answered: SessionCommand[] = [];
    // Whether an expiring grant is renewed before a re-dispatch: not right after a verdict was recorded,
    // so a broker whose clock lags hands out a grant that is then used, instead of being asked for ever.
    let renewable = true;
    for (;;) {
      stopSteps(this.#deps.nc, this.#deps.names, { calls: this.inFlight, onTheWay: this.interruptsOnTheWay }, effects);
      await this.#delegate(effects);
      await this.#timers.perform(effects);
      answered.push(...(await this.#grades.dispatch(effects.flatMap((effect) => (effect.type === 'DispatchGrade' ? [effect] : [])))));
      answered.push(...(await this.#dispatch(session, effects, renewable)));
      answered.push(...(await this.#answerMemoryTools(session, effects)));
      const next = answered.shift() ?? (await this.#askOutside(session, effects));
      if (!next) return { state: session.state, appended: first.appended };
      const recorded = await this.#log.record(sessionId, next, `${sessionId}/${session.head.n}`, undefined, this.#checksHere);
      renewable = (recorded.followedBy ?? next).type !== 'RecordPermissions';
      ({ session, effects } = recorded.appended > 0 ? recorded : await this.#behindAnother(sessionId, recorded, options.causationId));
    }
  }

  /**
   * Checks a broker of this process answers at once are recorded in the append of the decision that
   * asked for them (a model's reply and its calls' verdicts: one append, not two). Only when the checks
   * are all the decision asks for, so no other effect waits on them.
   */
  readonly #checksHere: FollowUp = (effects) => {
    const [only, ...others] = effects;
    return only?.type === 'CheckPermissions' && others.length === 0 ? this.#permissions.answerHere(only.checks, only.gate) : undefined;
  };

  /**
   * A step that recorded nothing: another actor, working on a redelivery of this same message, moved
   * the session on first. This message may be acknowledged before that actor has dispatched the tool
   * calls it appended, and if that dispatch then fails, its message (this one) is never redelivered.
   * So the tool jobs (or the grade job) the log waits on are dispatched again here (the stream drops a job it already
   * holds, by its id); a model call the log waits on is left to the actor that asked for it, since
   * calling it here too would make every later call of the session twice.
   */
  async #behindAnother(sessionId: string, recorded: Recorded, causationId: string): Promise<Recorded> {
    const { status } = recorded.session.state;
    if (status !== 'awaiting_tools' && status !== 'awaiting_grade') return { ...recorded, effects: [] };
    const resumed = await this.#log.record(sessionId, { type: 'Resume' }, causationId);
    // A gated session's waiting calls are checked again before they are dispatched again; those held for a person keep their timers.
    const kept = new Set<SessionEffect['type']>(['DispatchTool', 'CheckPermissions', 'AwaitApproval', 'DispatchGrade', 'WakeAt', 'RunMemoryTool', 'SpawnSubagent']);
    return { ...resumed, effects: resumed.effects.filter((effect) => kept.has(effect.type)) };
  }

  /**
   * Publishes the jobs the decision dispatched. A job dispatched again carries the grant recorded for
   * its call while that grant has at least half its time left; one whose grant runs out sooner is
   * not sent, and the broker is asked again: its verdict comes back as the command that records it.
   */
  async #dispatch(session: LoadedSession, effects: readonly SessionEffect[], renewable: boolean): Promise<SessionCommand[]> {
    const jobs = effects.flatMap((effect) => (effect.type === 'DispatchTool' ? [effect.job] : []));
    if (jobs.length === 0 || session.state.status === 'new') return [];
    const now = this.#deps.clock();
    const expiring = renewable ? jobs.filter(({ grant }) => grant !== undefined && grant.issuedAt + grant.ttlMs / 2 < now) : [];
    const answered = await this.#tools.dispatch(session.state.sessionId, jobs.filter((job) => !expiring.includes(job)));
    if (expiring.length === 0) return answered;
    const state = session.state;
    return [...answered, await this.#permissions.check(expiring.map((job) => permissionCheck(state, job)))];
  }

  /**
   * Starts the children a decision spawned, on their subagents subjects, tells a parent how its child
   * ended, and pauses, resumes or closes the children of a lead that was: each message keeps its id, so
   * one sent again is taken once.
   */
  async #delegate(effects: readonly SessionEffect[]): Promise<void> {
    const { nc, names } = this.#deps;
    // At once: a fan-out of twenty children is twenty publishes, not twenty round trips in a row.
    await Promise.all(
      effects.map(async (effect) => {
        if (effect.type === 'SpawnSubagent') await this.#spawn(effect.command);
        else if (effect.type === 'NotifyParent') await sendToParent({ nc, names }, effect.command);
        else if (effect.type === 'SteerChild') await sendToSession(nc, names, effect.command.sessionId, effect.command, { messageId: effect.messageId });
      }),
    );
  }

  /** Starts a child on its subagents subject; its first turn is traced under the lead's span of the delegation, when this actor traces it. */
  async #spawn(command: SubagentStartCommand): Promise<void> {
    const traceparent = this.#deps.traces?.traceparentOf(command.parent.sessionId, callKey(command.parent.callId));
    await sendToSession(this.#deps.nc, this.#deps.names, command.sessionId, command, { messageId: `spawn/${command.sessionId}`, traceparent });
  }

  /** The memory tools' answers, from the store: here, not on the inbox, as the session waits on nothing outside. */
  async #answerMemoryTools(session: LoadedSession, effects: readonly SessionEffect[]): Promise<SessionCommand[]> {
    const state = session.state;
    if (state.status === 'new') return [];
    const calls = effects.flatMap((effect) => (effect.type === 'RunMemoryTool' ? [effect] : []));
    return Promise.all(calls.map((call) => this.#memory.run(state, call)));
  }

  /** The answer to the model call, the permission checks or the memory the decision asked for; undefined when it asked for none. */
  async #askOutside(session: LoadedSession, effects: readonly SessionEffect[]): Promise<SessionCommand | undefined> {
    if (session.state.status === 'new') return undefined;
    const check = effects.find((effect) => effect.type === 'CheckPermissions');
    if (check) return this.#permissions.check(check.checks, check.gate);
    const memory = effects.find((effect) => effect.type === 'LoadMemory');
    if (memory) return this.#memory.load(memory);
    const compaction = effects.find((effect) => effect.type === 'CompactContext');
    if (compaction) return summarise(this.#deps.resolveModel, session.state.agent, compaction, await this.#log.messages(session, compaction.from, compaction.upTo));
    const call = effects.find((effect) => effect.type === 'CallModel');
    return call ? this.#callModel(session, call) : undefined;
  }

  async #callModel(session: LoadedSession, call: Extract<SessionEffect, { type: 'CallModel' }>): Promise<SessionCommand> {
    if (session.state.status === 'new') throw new Error('model call for a session that does not exist');
    // The supervisor's gate first, where the agent asks it about model calls: a stopped call is not made.
    if (call.gate) {
      const verdict = await this.#askModelGate(session.state.sessionId, call.gate, call.callId);
      if (verdict.verdict !== 'proceed') return { type: 'RecordModelGate', callId: call.callId, verdict };
    }
    const request = await this.#log.wholeRequest(session, call.request, call.earlierMessages, call.earlierFrom);
    const sessionId = session.state.sessionId;
    const signal = this.inFlight.begin(sessionId);
    try {
      return await this.#model.call(session.state, { ...call, request }, signal);
    } finally {
      this.inFlight.end(sessionId, signal);
    }
  }
}
