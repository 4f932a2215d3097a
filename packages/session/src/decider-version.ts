/**
 * The version of the decision rules new sessions are created under. A session's `session.created`
 * records it and its state keeps it, so a session is decided by the rules it started with for as
 * long as it runs, and `checkHistory` replays it under them: a change in how sessions decide reaches
 * only sessions created after it.
 *
 * To change a rule: raise this by one, and where the rule changes branch on `state.deciderVersion >= N`,
 * keeping the old path as it was (the recorded histories in test/fixtures/ still replay through it).
 * That is the one thing a decision branches on for a change; add a spec that a session of the older
 * version still decides the old way, and record a history under the new one (test/fixtures/record-histories.ts).
 *
 * 1: a spent budget (`maxSteps`, `maxCostUsd`) fails the session.
 * 2: a spent budget pauses it (`budget.exceeded`, then `session.paused` with `fromBudget`), and a resume
 *    that raises the limit lets it go on (next-step.ts `overBudget`; pause.test.ts, paused-resumed-v2.json).
 * 3: every tool call is checked by the permission broker before it runs: the verdicts are recorded
 *    with `tool.requested` (`permission.granted` / `permission.denied`), a refused call is answered
 *    at once with the reason, and a call dispatched again goes with its recorded grant (the shell asks
 *    again when that runs out) (gated-calls.ts; permissions.test.ts, permission-gated-v3.json).
 * 4: tool and time limits beyond steps and cost (`maxToolCalls`, `maxToolCallsPerTool`,
 *    `maxNonIdempotentCalls`, `maxWallClockMs`): reaching one pauses the session before the model turn
 *    or the reply's calls that would go past it, and a resume that raises it goes on (budget-limits.ts;
 *    budget-limits.test.ts, budget-limits-v4.json).
 * 5: a call a policy leaves to a person (`ask`) is held for approval (`approval.requested`, with a
 *    deadline by the log's clock) instead of refused, the reply's other calls going on; an answer is
 *    recorded as `approval.resolved`, and an approved call is checked again with the approval, so the
 *    broker grants it (approvals.ts; approvals.test.ts, approvals-v5.json).
 * 6: a supervisor's interventions are recorded (`supervisor.intervened`, once per detector and first
 *    event of evidence): a nudge is added to the next user message, a model switch changes the model
 *    called next, a pause pauses and an abort ends the session (interventions.ts; interventions.test.ts,
 *    supervised-v6.json).
 * 7: the supervisor acts before a step as well as after it (#18): an agent's `supervision.gate` puts
 *    each reply's allowed calls (and with `modelCalls` each model call) to the supervisor, whose
 *    verdicts are recorded (`supervisor.gated`; supervisor-gate.ts); a `rewind` ends the session naming a fork that starts earlier with a hint
 *    (rewind.ts); an intervention may be bound to the log's head and `redrive` re-does a stalled
 *    session's work (stalled.ts); a judge's verdicts are recorded with their cost in the totals
 *    (judgements.ts). Histories gated-v7.json, model-gated-v7.json, redriven-v7.json, judged-v7.json.
 * 8: outcomes (#19): a session whose task or agent has an `outcome` submits its final answer for grading
 *    (`outcome.submitted`, and a `DispatchGrade` job that carries the output, its files and the rubric,
 *    nothing of the conversation) and waits for the grade (`awaiting_grade`); the grade is recorded
 *    (`outcome.graded`, its cost in the totals and in `totals.grading`): a pass completes the session with
 *    the answer, a fail with attempts left becomes a user message with the changes required and the next
 *    model call, the last fail fails the session, and a grade with a problem pauses it until a resume
 *    sends the job again (outcomes.ts, submission.ts, grades.ts; outcomes.test.ts, graded-v8.json).
 * 9: conversations and interrupts (#20): an agent with `conversation` ends each turn with `turn.completed`
 *    and waits, `idle`, for the next message instead of completing; a message (`message.received`, once
 *    per inbox message) starts the next turn, or is queued while one runs; an interrupt
 *    (`session.interrupted`) stops the running step (the model call abandoned, the tool calls answered as
 *    stopped, a `StopStep` effect telling the actor and executors) and the session goes on with what was
 *    queued, else waits; a close completes an idle session with its last answer (`closedBy`), a running
 *    one aborted; an idle timer closes it after the agent's `idleTimeoutMs` (conversations.ts, turns.ts;
 *    conversations.test.ts, conversation-v9.json); the built-in tools `wait.time` and `wait.signal`
 *    are answered by the runtime (`runBuiltIn`: a durable timer, a signal, or a refusal past the
 *    wall-clock budget) and never sent to an executor (waits.ts; waits.test.ts, waits-v9.json); a context
 *    is compacted before a request that would pass `compactAt` of the model's window (an agent's
 *    `context`, or the supervisor's `compact`): a `CompactContext` model call summarises the messages
 *    since the last cut (`context.compacted`), requests carry the summary in their place, and long tool
 *    outputs read before go as their beginning (compaction.ts; compaction.test.ts, compacted-v9.json).
 * 10: memory (#21): a session of an agent with `memory` (its task not saying `memory: false`) loads the
 *    entries of its store most relevant to its task before its first model call (a `LoadMemory` effect,
 *    recorded as `memory.loaded` with the entries and the store version), and every request carries them
 *    after the system prompt; the built-in tools `memory.search` and `memory.write` are answered by the
 *    actor from the store (`RunMemoryTool`), a write citing the call's `tool.requested` as its evidence
 *    (memory.ts; memory.test.ts, memory-v10.json).
 * 11: delegation (#22): an agent that names `subagents` is given `agents.delegate`; an allowed call
 *    starts a child session (`subagent.spawned`, with a slice of the budget left after the children still
 *    running, at most `subagentConcurrency` at once, the rest started as children end; `SpawnSubagent` on the child's subagents subject), the
 *    child's `session.created` names its parent and the sessions whose rights bound its own
 *    (`delegatedBy`, carried in its permission checks), and how it ended comes back (`NotifyParent`) as
 *    `subagent.completed`, its spend added to the parent's totals, and the call's result (delegation.ts;
 *    delegation.test.ts, delegated-v11.json).
 * 12: structured output (#23): a session whose task or agent has an `output` JSON Schema asks the provider
 *    for it (`responseFormat`) and validates its final answer: one that does not satisfy it goes back to the
 *    model once with what was wrong (`output.rejected`, then the next model call), the second fails the
 *    session; one that does completes it with the JSON value in `session.completed` (`structuredOutput`)
 *    (structured-output.ts; structured-output.test.ts, structured-v12.json).
 */
export const deciderVersion = 12;
