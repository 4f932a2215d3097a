import picomatch from 'picomatch';
import { z } from 'zod';

/** What a rule, or a policy's default, does with a call. */
export const Effect = z.enum(['allow', 'ask', 'deny']);
export type Effect = z.infer<typeof Effect>;

/** Sizes a policy may reach: it is evaluated before every tool call, so it stays small. */
export const policyLimits = { rules: 200, patternLength: 256, argumentPatterns: 16, keySegments: 8, within: 16, secrets: 32 } as const;

/**
 * A secret in the vault, by name: a letter or `_`, then letters, digits and `_`, like an environment
 * variable. No dots, wildcards or spaces: the name is a KV key and goes into `{{secret:NAME}}`.
 */
export const SecretName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a secret name is letters, digits and "_", not starting with a digit (like GITHUB_TOKEN)');
export type SecretName = z.infer<typeof SecretName>;

/** picomatch refuses some patterns (too long, for one): refuse them when the policy is read, not at a call. */
function compiles(pattern: string): boolean {
  try {
    picomatch.makeRe(pattern);
    return true;
  } catch {
    return false;
  }
}

const Glob = z.string().min(1).max(policyLimits.patternLength).refine(compiles, 'not a glob pattern picomatch can read');

/** Where in a tool's input an argument is: `path`, or `options.cwd` for a nested one (array items by index). */
const ArgumentKey = z
  .string()
  .regex(
    new RegExp(`^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+){0,${policyLimits.keySegments - 1}}$`),
    `an argument key is up to ${policyLimits.keySegments} dot-separated names, like "path" or "options.cwd"`,
  );

export const HttpMethod = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
export type HttpMethod = z.infer<typeof HttpMethod>;

/** Matches the `url` (by host) and `method` (GET when absent) of a tool's input, as `http.fetch` takes them. */
export const UrlMatcher = z.strictObject({
  host: Glob,
  methods: z.array(HttpMethod).min(1).max(HttpMethod.options.length).optional(),
});
export type UrlMatcher = z.infer<typeof UrlMatcher>;

/** How long a call may wait for approval: at least a second, at most a week. */
export const ApprovalTimeoutMs = z.number().int().min(1_000).max(7 * 24 * 3600 * 1000);

/** How long a call waits for approval when its rule does not say. */
export const defaultApprovalTimeoutMs = 3600 * 1000;

export const PolicyRule = z.strictObject({
  /** Names the rule in the reasons a model reads. */
  id: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'a rule id may hold only letters, digits, "-" and "_"').optional(),
  /** Said after the rule in a reason: why it is there. */
  description: z.string().max(500).optional(),
  effect: Effect,
  tool: Glob,
  args: z
    .record(ArgumentKey, Glob)
    .refine((args) => Object.keys(args).length <= policyLimits.argumentPatterns, `at most ${policyLimits.argumentPatterns} argument patterns`)
    .optional(),
  url: UrlMatcher.optional(),
  /** Whether a child session may inherit this grant (deny rules always pass down). */
  delegable: z.boolean().optional(),
  /** On an `ask` rule: how long a call waits for a person before it is denied (default `defaultApprovalTimeoutMs`). */
  approvalTimeoutMs: ApprovalTimeoutMs.optional(),
}).refine((rule) => rule.approvalTimeoutMs === undefined || rule.effect === 'ask', {
  message: 'approvalTimeoutMs is for an `ask` rule: no call waits for approval under an allow or a deny',
  path: ['approvalTimeoutMs'],
});
export type PolicyRule = z.infer<typeof PolicyRule>;

export const PolicyName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'a policy name is lower-case letters, digits, "-" and "_", starting with a letter or digit');
export type PolicyName = z.infer<typeof PolicyName>;

/** One policy's rules, whole or (`delegated`) as a parent passes them to a child session. */
export const PolicyLayer = z.strictObject({
  name: PolicyName,
  /** Assigned when the policy is stored; absent on a policy not stored yet (a task's own). */
  version: z.number().int().positive().optional(),
  rules: z.array(PolicyRule).max(policyLimits.rules),
  /** What happens to a call no rule matches. */
  default: Effect.default('deny'),
  /**
   * Secrets from the vault that the tools of a call this policy allows may open. A call gets those
   * every layer names (a task's policy can only narrow them; one that names none grants none).
   */
  secrets: z.array(SecretName).max(policyLimits.secrets).optional(),
  /** Only the delegable grants count, and the default is deny: the layer a child session inherits. */
  delegated: z.literal(true).optional(),
});
export type PolicyLayer = z.infer<typeof PolicyLayer>;

/** A policy: its own rules, narrowed by every policy it is `within` (a call gets the strictest effect of them all). */
export const Policy = PolicyLayer.extend({
  within: z.array(PolicyLayer).max(policyLimits.within).optional(),
});
export type Policy = z.infer<typeof Policy>;

/** The policy's own layer, then the layers it is within. */
export function layersOf(policy: Policy): PolicyLayer[] {
  const { within = [], ...own } = policy;
  return [own, ...within];
}
