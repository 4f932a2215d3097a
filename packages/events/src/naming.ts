/**
 * Every stream, subject, bucket and object store name, derived from one prefix so that several
 * installations can share one NATS (`SIGNALBOX_PREFIX`).
 */
export interface Naming {
  readonly prefix: string;
  readonly streams: {
    events: string;
    /** The events again, sourced from `events` and split by session into partitions, for the runtime's event subscriber. */
    eventPartitions: string;
    tasks: string;
    inbox: string;
    jobs: string;
    dlq: string;
    timers: string;
    /** Every write to every run's workspace, one message each: a run's files at any revision. */
    workspace: string;
  };
  readonly buckets: {
    agents: string;
    tools: string;
    policies: string;
    memory: string;
    sessions: string;
    snapshots: string;
    /** Earlier messages of long sessions' conversations, in fixed chunks, so snapshots stay small. */
    transcripts: string;
    secrets: string;
    /** Per tool call, by idempotency key: started or finished with its result, so a call runs once. */
    toolLedger: string;
    /** Event subscriber replicas alive now, `<group>.<instance>`, each entry expiring unless renewed. */
    subscribers: string;
    /**
     * Who refers to content stored once by sha256: `output.<sha256>.<sessionId>` for a long tool output,
     * `workspace.<sha256>.<rootSessionId>` for a workspace file's content. Written before the content, so
     * deleting a session keeps what another session still refers to without reading any other log.
     */
    references: string;
    /** The gateway's bearer tokens, by the sha256 of their secret: names and scopes, never a secret. */
    apiTokens: string;
    /** Runs of `signalbox eval`, by id: each with its suite and every session it started. */
    evals: string;
  };
  /**
   * `workspace`: the contents of workspace files, by sha256 (what each path holds is in the workspace
   * stream). `deadLetters`: bodies too large to copy into the dead-letter stream, named by the dead
   * letter that keeps their place.
   */
  readonly objectStores: { workspace: string; toolOutputs: string; deadLetters: string };
  readonly subjects: {
    events(sessionId: string): string;
    allEvents: string;
    /** The events of partition `partition`, `<prefix>.partitioned.<partition>.<sessionId>`, in the partitions stream. */
    partitionedEvents(partition: number): string;
    /** The session a partitioned event's subject names. */
    sessionOfPartitioned(subject: string): string | undefined;
    task(agent: string): string;
    allTasks: string;
    inbox(sessionId: string): string;
    /** Every session's public inbox, `<prefix>.inbox.<sessionId>`, without the actors' own inboxes below it. */
    sessionInboxes: string;
    /** Results of calls one actor dispatched, `<prefix>.inbox.<sessionId>.<actor>`, so they come back to it. */
    actorInbox(sessionId: string, actor: string): string;
    actorInboxes(actor: string): string;
    /** The session a message on either kind of inbox subject is for. */
    sessionOfInbox(subject: string): string | undefined;
    /** The actor whose own inbox `subject` is, if it is one. */
    actorOfInbox(subject: string): string | undefined;
    /**
     * Answers to a session's approvals, `<prefix>.inbox.<sessionId>.approvals`: a subject of its own,
     * so NATS permissions can let a user answer approvals, or forbid it (the tool executors).
     */
    approvals(sessionId: string): string;
    allApprovals: string;
    /** A supervisor's interventions in a session, `<prefix>.inbox.<sessionId>.supervisor`: a subject of its own, as for approvals. */
    interventions(sessionId: string): string;
    allInterventions: string;
    /**
     * A conversation's messages, interrupts and closes, `<prefix>.inbox.<sessionId>.messages`: a subject of
     * its own, as for approvals, so NATS permissions can let a front end write to sessions and keep tool executors off.
     */
    messages(sessionId: string): string;
    allMessages: string;
    /** Where a child session is started and a parent hears how its children ended (decider version 11 on): only session actors publish here. */
    subagents(sessionId: string): string;
    allSubagents: string;
    /** The grader's grades of a session's outcome, `<prefix>.inbox.<sessionId>.grader`: a subject of its own, as for approvals. */
    grades(sessionId: string): string;
    allGrades: string;
    allInbox: string;
    /**
     * Where an interrupt of a session is heard at once, `<prefix>.interrupt.<sessionId>`: core NATS, in
     * no stream, so the actor making its model call and the executors running its tools can stop them.
     */
    interrupt(sessionId: string): string;
    allInterrupts: string;
    /**
     * The calls an interrupt cancelled, `<prefix>.interrupt.<sessionId>.cancelled`: core NATS, sent by the
     * actor that recorded it (only actors may), so an executor that has not begun one never runs it.
     */
    cancelledCalls(sessionId: string): string;
    allCancelledCalls: string;
    toolJob(tool: string): string;
    allToolJobs: string;
    gradeJobs: string;
    dreamJobs: string;
    allJobs: string;
    dlq(source: string): string;
    allDlq: string;
    rpc(name: string): string;
    /** Where the session actor asks the permission broker about a tool call (request/reply). */
    permissionCheck: string;
    /** Where each permission broker replica says what it is (doctor). */
    permissionStatus: string;
    /** Where the grader grades a job again and answers with the grade, sending it to no session (`signalbox regrade`). */
    regrade: string;
    /** Where the session actor asks the supervisor replica that follows a partition's sessions about their next tool calls. */
    supervisorGate(partition: number): string;
    allSupervisorGates: string;
    /** A timer's pending firing: a message schedule, `<prefix>.timers.<timerId>.at`. */
    timerSchedule(timerId: string): string;
    /** What the server produces when the schedule fires, and the forwarder consumes. */
    timerDue(timerId: string): string;
    /** Left by a cancel, so a firing already on its way is dropped. */
    timerCancelled(timerId: string): string;
    /** Every subject of one timer, for a concurrency check over all of them. */
    timer(timerId: string): string;
    allTimers: string;
    dueTimers: string;
    /**
     * The supervisor's stalled-session timer of a session, `<prefix>.timers.stalled.<sessionId>.at`: a
     * token more than other timers', so NATS permissions can give the supervisor these and no other.
     */
    stalledTimer(sessionId: string): string;
    /** Where it fires, which the supervisor consumes (not the timer forwarder). */
    stalledTimerDue(sessionId: string): string;
    allStalledTimersDue: string;
    /**
     * A memory store's consolidation schedule, `<prefix>.timers.dream.<store>.at`: like the stalled
     * timers, a token more than other timers', so only the memory consolidator may write and read them.
     */
    dreamTimer(store: string): string;
    /** Where it fires, which the memory consolidator consumes. */
    dreamTimerDue(store: string): string;
    allDreamTimersDue: string;
    /** A write of `path` in the workspace of the run rooted at `rootSessionId`: `<prefix>.workspace.<root>.<base64url path>`. */
    workspaceFile(rootSessionId: string, path: string): string;
    /** Every write of one run's workspace. */
    workspaceFiles(rootSessionId: string): string;
    allWorkspace: string;
    /**
     * A session's model text as it arrives, `<prefix>.live.<sessionId>`: core NATS only, captured by no
     * stream and outside `<prefix>.events.>`, so event subscribers never see it (see `LiveMessage`).
     */
    live(sessionId: string): string;
    allLive: string;
  };
}

const prefixPattern = /^[a-z][a-z0-9_-]*$/;

export function naming(prefix = 'sbx'): Naming {
  if (!prefixPattern.test(prefix)) {
    throw new Error(`invalid Signalbox prefix "${prefix}": use lower-case letters, digits, "-" or "_"`);
  }
  const upper = prefix.toUpperCase().replaceAll('-', '_');
  return {
    prefix,
    streams: {
      events: `${upper}_EVENTS`,
      tasks: `${upper}_TASKS`,
      inbox: `${upper}_INBOX`,
      jobs: `${upper}_JOBS`,
      dlq: `${upper}_DLQ`,
      timers: `${upper}_TIMERS`,
      workspace: `${upper}_WORKSPACE`,
      eventPartitions: `${upper}_EVENT_PARTITIONS`,
    },
    buckets: {
      agents: `${prefix}-agents`,
      tools: `${prefix}-tools`,
      policies: `${prefix}-policies`,
      memory: `${prefix}-memory`,
      sessions: `${prefix}-sessions`,
      snapshots: `${prefix}-snapshots`,
      transcripts: `${prefix}-transcripts`,
      secrets: `${prefix}-secrets`,
      toolLedger: `${prefix}-tool-ledger`,
      subscribers: `${prefix}-subscribers`,
      references: `${prefix}-references`,
      apiTokens: `${prefix}-api-tokens`,
      evals: `${prefix}-evals`,
    },
    objectStores: { workspace: `${prefix}-workspace`, toolOutputs: `${prefix}-tool-outputs`, deadLetters: `${prefix}-dead-letters` },
    subjects: {
      events: (sessionId) => `${prefix}.events.${sessionId}`,
      allEvents: `${prefix}.events.>`,
      partitionedEvents: (partition) => `${prefix}.partitioned.${partition}.*`,
      sessionOfPartitioned: (subject) => (subject.startsWith(`${prefix}.partitioned.`) ? subject.split('.')[3] || undefined : undefined),
      task: (agent) => `${prefix}.tasks.${agent}`,
      allTasks: `${prefix}.tasks.>`,
      inbox: (sessionId) => `${prefix}.inbox.${sessionId}`,
      sessionInboxes: `${prefix}.inbox.*`,
      actorInbox: (sessionId, actor) => `${prefix}.inbox.${sessionId}.${actor}`,
      actorInboxes: (actor) => `${prefix}.inbox.*.${actor}`,
      sessionOfInbox: (subject) => (subject.startsWith(`${prefix}.inbox.`) ? subject.split('.')[2] || undefined : undefined),
      actorOfInbox: (subject) => {
        const actor = subject.startsWith(`${prefix}.inbox.`) ? subject.split('.')[3] : undefined;
        return actor === undefined || reservedInboxTokens.includes(actor) ? undefined : actor || undefined;
      },
      approvals: (sessionId) => `${prefix}.inbox.${sessionId}.${approvalsToken}`,
      allApprovals: `${prefix}.inbox.*.${approvalsToken}`,
      interventions: (sessionId) => `${prefix}.inbox.${sessionId}.${interventionsToken}`,
      allInterventions: `${prefix}.inbox.*.${interventionsToken}`,
      messages: (sessionId) => `${prefix}.inbox.${sessionId}.${messagesToken}`,
      allMessages: `${prefix}.inbox.*.${messagesToken}`,
      subagents: (sessionId) => `${prefix}.inbox.${sessionId}.${subagentsToken}`,
      allSubagents: `${prefix}.inbox.*.${subagentsToken}`,
      grades: (sessionId) => `${prefix}.inbox.${sessionId}.${gradesToken}`,
      allGrades: `${prefix}.inbox.*.${gradesToken}`,
      allInbox: `${prefix}.inbox.>`,
      interrupt: (sessionId) => `${prefix}.interrupt.${sessionId}`,
      allInterrupts: `${prefix}.interrupt.*`,
      cancelledCalls: (sessionId) => `${prefix}.interrupt.${sessionId}.cancelled`,
      allCancelledCalls: `${prefix}.interrupt.*.cancelled`,
      toolJob: (tool) => `${prefix}.jobs.tool.${tool}`,
      allToolJobs: `${prefix}.jobs.tool.>`,
      gradeJobs: `${prefix}.jobs.grade`,
      dreamJobs: `${prefix}.jobs.dream`,
      allJobs: `${prefix}.jobs.>`,
      dlq: (source) => `${prefix}.dlq.${source}`,
      allDlq: `${prefix}.dlq.>`,
      rpc: (name) => `${prefix}.rpc.${name}`,
      permissionCheck: `${prefix}.rpc.permission.check`,
      permissionStatus: `${prefix}.rpc.permission.status`,
      regrade: `${prefix}.rpc.grader.regrade`,
      supervisorGate: (partition) => `${prefix}.rpc.supervisor.gate.${partition}`,
      allSupervisorGates: `${prefix}.rpc.supervisor.gate.*`,
      timerSchedule: (timerId) => `${prefix}.timers.${timerId}.at`,
      timerDue: (timerId) => `${prefix}.timers.${timerId}.due`,
      timerCancelled: (timerId) => `${prefix}.timers.${timerId}.cancelled`,
      timer: (timerId) => `${prefix}.timers.${timerId}.*`,
      allTimers: `${prefix}.timers.>`,
      dueTimers: `${prefix}.timers.*.due`,
      stalledTimer: (sessionId) => `${prefix}.timers.stalled.${sessionId}.at`,
      stalledTimerDue: (sessionId) => `${prefix}.timers.stalled.${sessionId}.due`,
      allStalledTimersDue: `${prefix}.timers.stalled.*.due`,
      dreamTimer: (store) => `${prefix}.timers.dream.${store}.at`,
      dreamTimerDue: (store) => `${prefix}.timers.dream.${store}.due`,
      allDreamTimersDue: `${prefix}.timers.dream.*.due`,
      // base64url: a path may hold dots, spaces and anything else a subject token may not.
      workspaceFile: (root, path) => `${prefix}.workspace.${root}.${Buffer.from(path, 'utf8').toString('base64url')}`,
      workspaceFiles: (root) => `${prefix}.workspace.${root}.>`,
      allWorkspace: `${prefix}.workspace.>`,
      live: (sessionId) => `${prefix}.live.${sessionId}`,
      allLive: `${prefix}.live.*`,
    },
  };
}

/** Header carrying an event's type, so consumers can skip events without decoding them. */
export const typeHeader = 'Sbx-Type';
/** Header a task publisher sets to receive the task's outcome (accepted, duplicate or rejected) as a reply. */
export const replyToHeader = 'Sbx-Reply-To';
/** Header on dead-lettered messages naming why they were rejected. */
export const errorHeader = 'Sbx-Error';
/** Header on dead-lettered messages naming the subject they came from, where a re-drive sends them. */
export const sourceSubjectHeader = 'Sbx-Source-Subject';
/** Header on dead-lettered messages counting the deliveries they had. */
export const deliveriesHeader = 'Sbx-Deliveries';
/** On a dead letter whose body was too large to copy: the object in the dead-letters object store that holds it. */
export const deadLetterObjectHeader = 'Sbx-Dead-Letter-Object';
/** The last token of a session's approvals subject, which no actor's own inbox may take. */
export const approvalsToken = 'approvals';

/** The last token of a session's interventions subject, which no actor's own inbox may take either. */
export const interventionsToken = 'supervisor';

/** The last token of the subject the grader's grades come on; no actor instance may take this name. */
export const gradesToken = 'grader';

/** The last token of the subject a conversation's messages, interrupts and closes come on; no actor instance may take this name. */
export const messagesToken = 'messages';

/** The last token of the subject children are started on and parents hear from them; no actor instance may take this name. */
export const subagentsToken = 'subagents';

/** The subject tokens under a session's inbox that are commands' own subjects, never an actor's inbox. */
export const reservedInboxTokens: readonly string[] = [approvalsToken, interventionsToken, gradesToken, messagesToken, subagentsToken];

/** Header on a command a timer delivered, naming the timer. */
export const timerHeader = 'Sbx-Timer';

/** The durable consumer every grader replica shares on the grade jobs (`<prefix>.jobs.grade`). */
export const graderDurable = 'grader';

/** The durable consumer every memory consolidator replica shares on the dream jobs (`<prefix>.jobs.dream`). */
export const memoryConsolidatorDurable = 'memory-consolidator';

/** The durable consumer of one tool's jobs, shared by every executor that offers the tool: tool names are dot-separated words, and durable names take no dots. */
export function toolJobDurable(tool: string): string {
  return `tool-executor-${tool.replaceAll('.', '-')}`;
}
