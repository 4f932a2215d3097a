import { AgentDefinition, AgentName, Budget, JsonData, MemorySettings, ModelName, OutcomeSettings, PolicyName, SupervisionConfig } from '@signalbox/events';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** A name in a suite (a task's, a configuration's): short, and safe in an agent name and a metadata value. */
const SuiteName = z.string().min(1).max(24).regex(/^[a-z0-9][a-z0-9_-]*$/, 'a name is lower-case letters, digits, "-" and "_", starting with a letter or digit');

/**
 * A check the eval makes itself on a finished session, besides its status and its grade: the answer
 * holds `outputIncludes`, or matches `outputMatches` (RE2: linear time over a hostile answer).
 */
export const TaskCheck = z.union([
  z.strictObject({ outputIncludes: z.string().min(1).max(10_000) }),
  z.strictObject({ outputMatches: z.string().min(1).max(1_000) }),
]);
export type TaskCheck = z.infer<typeof TaskCheck>;

export const EvalTask = z.strictObject({
  name: SuiteName,
  input: z.string().min(1).max(100_000),
  /** Graded by the grader in the session (the configuration's or agent's `outcome` says how). */
  rubric: JsonData.optional(),
  checks: z.array(TaskCheck).max(20).default([]),
  budget: Budget.partial().optional(),
});
export type EvalTask = z.infer<typeof EvalTask>;

/**
 * One way of running the tasks: an agent (stored, or defined in the suite) with some of its fields
 * replaced. Each configuration runs as an agent of its own, `eval-<suite>-<configuration>`.
 */
export const EvalConfiguration = z.strictObject({
  name: SuiteName,
  agent: AgentName,
  model: ModelName.optional(),
  /** `false`: no supervisor watches; settings replace the agent's whole `supervision`. */
  supervision: SupervisionConfig.optional(),
  /** The grader: the agent's `outcome` replaced. */
  outcome: OutcomeSettings.optional(),
  /** The memory store, how much of it is loaded and, with `version`, which version rather than the head; `false` runs without memory. */
  memory: z.union([z.literal(false), MemorySettings]).optional(),
  /** The permissions: the policy that decides its tool calls. */
  policy: PolicyName.optional(),
  system: z.string().max(100_000).optional(),
});
export type EvalConfiguration = z.infer<typeof EvalConfiguration>;

export const CounterfactualSettings = z.strictObject({
  /** Forks per intervention (a live model answers differently each time; a scripted one the same). */
  repeats: z.number().int().min(1).max(20).default(1),
});

export const EvalSuite = z
  .strictObject({
    name: SuiteName,
    description: z.string().max(2_000).optional(),
    /** Agents applied before the runs, so a suite can carry its own. */
    agents: z.array(AgentDefinition).max(50).default([]),
    tasks: z.array(EvalTask).min(1).max(200),
    configurations: z.array(EvalConfiguration).min(1).max(20),
    repeats: z.number().int().min(1).max(100).default(1),
    /** Sessions running at once. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** How long a session may take before the eval counts it as timed out. */
    sessionTimeoutMs: z.number().int().min(1_000).max(3_600_000).default(120_000),
    /** Let the runs feed memory consolidation (off: they are tagged and consolidation skips them). */
    feedMemory: z.boolean().default(false),
    /** Fork each run at each intervention with its detector off, to see what the intervention changed (off unless set). */
    counterfactual: CounterfactualSettings.optional(),
  })
  .superRefine((suite, ctx) => {
    for (const [key, list] of [['tasks', suite.tasks], ['configurations', suite.configurations]] as const) {
      const names = list.map((item) => item.name);
      const repeated = names.find((name, index) => names.indexOf(name) !== index);
      if (repeated) ctx.addIssue({ code: 'custom', message: `two ${key} are named "${repeated}"`, path: [key] });
    }
  });
export type EvalSuite = z.infer<typeof EvalSuite>;

/** A suite file could not be read: the message says where. */
export class SuiteError extends Error {
  override readonly name = 'SuiteError';
  readonly code = 'invalid_suite';
}

/** The suite in a YAML (or JSON) text, validated; throws SuiteError saying what is wrong. */
export function parseSuite(text: string): EvalSuite {
  let raw: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); the text's size is the caller's to bound.
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new SuiteError(`the suite is not YAML: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = EvalSuite.safeParse(raw);
  if (!parsed.success) throw new SuiteError(`the suite is not valid:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

/** The agent a configuration runs as: its base with the configuration's fields in place. */
export function configurationAgent(suite: Pick<EvalSuite, 'name'>, configuration: EvalConfiguration, base: AgentDefinition): AgentDefinition {
  const { model, supervision, outcome, memory, policy, system } = configuration;
  const agent: Record<string, unknown> = { ...base, name: configurationAgentName(suite.name, configuration.name) };
  if (model !== undefined) agent['model'] = model;
  if (supervision !== undefined) agent['supervision'] = supervision;
  if (outcome !== undefined) agent['outcome'] = outcome;
  if (memory === false) delete agent['memory'];
  else if (memory !== undefined) agent['memory'] = memory;
  if (policy !== undefined) agent['policy'] = policy;
  if (system !== undefined) agent['system'] = system;
  return AgentDefinition.parse(agent);
}

export function configurationAgentName(suite: string, configuration: string): string {
  return `eval-${suite}-${configuration}`;
}
