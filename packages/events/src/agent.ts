import { z } from 'zod';
import { AgentName, ModelName, ToolName } from './ids.ts';
import { JsonData } from './json-data.ts';
import { MemorySettings } from './memory.ts';
import { OutcomeSettings, readRubric } from './outcome.ts';
import { OutputSchema } from './output-schema.ts';
import { PolicyName, SecretName } from './policy-document.ts';
import { RetentionPeriod } from './retention.ts';
import { SupervisionConfig } from './supervision-config.ts';

export const Budget = z.strictObject({
  /** Model turns a session may take. */
  maxSteps: z.number().int().min(1).default(20),
  maxCostUsd: z.number().positive().optional(),
  /** Tool calls the session may request in all (decider version 4 on, as the limits below). */
  maxToolCalls: z.number().int().min(1).optional(),
  /** Tool calls per tool, by tool name. */
  maxToolCallsPerTool: z.record(ToolName, z.number().int().min(0)).refine((limits) => Object.keys(limits).length <= 64, 'at most 64 tools').optional(),
  /** Calls of tools not safe to run twice (`idempotent: false`: a POST, a delete, a payment); 0 allows none. */
  maxNonIdempotentCalls: z.number().int().min(0).optional(),
  /** Time from the session's start, by the log's clock, checked before each model turn and each batch of tool calls. */
  maxWallClockMs: z.number().int().min(1_000).optional(),
});
export type Budget = z.infer<typeof Budget>;

/** The most a task or a resume may set each limit of this agent's budget to, where the installation's ceiling does not suit it. */
const BudgetCeiling = z.strictObject({
  maxSteps: z.number().int().min(1).optional(),
  maxCostUsd: z.number().positive().optional(),
});

/** One step of the scripted model: say something, call a tool, or finish with an answer. */
export const ScriptStep = z.union([
  z.strictObject({ text: z.string() }),
  z.strictObject({ tool: ToolName, input: z.record(z.string(), JsonData).default({}) }),
  z.strictObject({ final: z.string() }),
]);
export type ScriptStep = z.infer<typeof ScriptStep>;

/**
 * When a session's context is compacted (decider version 9 on): once the next request's estimate
 * (4 characters a token) passes `compactAt` of the model's window, the older turns are summarised
 * by a model call and the request carries the summary in their place.
 */
export const ContextSettings = z.strictObject({
  /** The model's context window in tokens; known for the providers' models (`contextWindowOf`), required for others. */
  windowTokens: z.number().int().min(1_000).max(10_000_000).optional(),
  compactAt: z.number().min(0.3).max(0.95).default(0.75),
  /** The latest messages a compaction always keeps as they are. */
  keepMessages: z.number().int().min(2).max(200).default(6),
  /** The model that writes the summary (the agent's own unless set). */
  model: ModelName.optional(),
});
export type ContextSettings = z.infer<typeof ContextSettings>;

/** The longest a conversation may wait idle before it is closed: thirty days. */
export const maxIdleTimeoutMs = 30 * 24 * 3_600_000;

/** How an agent's conversations behave between turns. */
export const ConversationSettings = z.strictObject({
  /** Close the session after it has waited this long, idle, for a message (one hour unless set). */
  idleTimeoutMs: z.number().int().min(1_000).max(maxIdleTimeoutMs).default(3_600_000),
});
export type ConversationSettings = z.infer<typeof ConversationSettings>;

export const AgentDefinition = z
  .strictObject({
    name: AgentName,
    model: ModelName,
    system: z.string().default(''),
    tools: z.array(ToolName).default([]),
    budget: Budget.default({ maxSteps: 20 }),
    budgetCeiling: BudgetCeiling.optional(),
    maxTokens: z.number().int().min(1).default(4096),
    rubric: JsonData.optional(),
    /** Grade every session's final answer against the rubric (the task's `outcome` replaces it); see outcome.ts. */
    outcome: OutcomeSettings.optional(),
    /** Which detectors watch its sessions and what they do (`false`: none); without it, all at their defaults. */
    supervision: SupervisionConfig.optional(),
    /** The JSON Schema its sessions' final answers must satisfy (decider version 12 on; a task's `output` replaces it). */
    output: OutputSchema.optional(),
    /** The memory store it loads at a session's start and searches and writes during its runs (decider version 10 on). */
    memory: MemorySettings.optional(),
    /** The agents its sessions may delegate to with `agents.delegate` (decider version 11 on). */
    subagents: z.array(AgentName).max(50).default([]),
    /** Children one of its sessions runs at once (20 unless set); a delegation past it is refused. */
    subagentConcurrency: z.number().int().min(1).max(100).optional(),
    /** The policy in the policies bucket that decides its tool calls; without one, the tools it lists are allowed. */
    policy: PolicyName.optional(),
    script: z.array(ScriptStep).optional(),
    /**
     * The vault secret that holds the API key of its model's provider, used instead of the key the
     * environment gives the session actor: agents on one provider may bill to different keys.
     */
    providerKeySecret: SecretName.optional(),
    /** Keep its sessions open after an answer (decider version 9 on): idle, waiting for the next message, until closed or idle this long. */
    conversation: ConversationSettings.optional(),
    /** Compact its sessions' context before a request would overflow the model's window (decider version 9 on). */
    context: ContextSettings.optional(),
    /** How long its completed sessions are kept before the retention sweeper deletes them; the installation's `SIGNALBOX_RETENTION` when unset. */
    retention: RetentionPeriod.optional(),
  })
  .refine((agent) => agent.model !== 'scripted' || agent.script !== undefined, {
    message: 'a scripted agent needs a "script" of steps',
    path: ['script'],
  })
  .refine((agent) => agent.model !== 'scripted' || agent.providerKeySecret === undefined, {
    message: 'a scripted agent calls no provider, so it takes no "providerKeySecret"',
    path: ['providerKeySecret'],
  })
  .refine((agent) => agent.conversation === undefined || agent.output === undefined, {
    message: 'a conversation answers in text, turn by turn: an agent takes "conversation" or "output", not both',
    path: ['output'],
  })
  .refine((agent) => agent.conversation === undefined || agent.outcome === undefined, {
    message: 'a conversation\'s answers are not graded: an agent takes "conversation" or "outcome", not both',
    path: ['conversation'],
  })
  // An outcome without a rubric of its own is graded against its tasks' rubrics: task admission refuses a task that gives none.
  .superRefine((agent, ctx) => {
    if (agent.outcome === undefined || agent.rubric === undefined) return;
    const read = readRubric(agent.rubric);
    if ('problem' in read) ctx.addIssue({ code: 'custom', message: read.problem, path: ['rubric'] });
  });
export type AgentDefinition = z.infer<typeof AgentDefinition>;
