import { z } from 'zod';
import { DelegationChain } from './delegation.ts';
import { AgentName, ApprovalId, SessionId, ToolName } from './ids.ts';
import { JsonData } from './json-data.ts';
import { ApprovalTimeoutMs, Effect, Policy, PolicyName, policyLimits, SecretName } from './policy-document.ts';

/**
 * The permission broker's signed word that one tool call may run: bound to the session, the call,
 * the tool and the sha256 of the input's canonical JSON, valid for `ttlMs` from `issuedAt` (ms since
 * the epoch). `signature` is the broker's ed25519 NKey signature (base64url) over `grantSigningBytes`;
 * `signer` names its public key, which an executor must trust.
 */
export const ToolGrant = z.object({
  sessionId: SessionId,
  callId: z.string().min(1).max(256),
  tool: ToolName,
  inputSha256: z.string().regex(/^[0-9a-f]{64}$/),
  issuedAt: z.number().int().nonnegative(),
  ttlMs: z.number().int().positive().max(24 * 3600 * 1000),
  policy: z.string().min(1).max(128),
  policyVersion: z.number().int().positive().optional(),
  /**
   * Hosts the granting rule names outright (no glob): `http.fetch` may reach these even where they
   * resolve to a loopback, private or link-local address, which it otherwise refuses.
   */
  namedHosts: z.array(z.string().min(1).max(253)).max(16).optional(),
  /**
   * Secrets every layer of the deciding policy grants: the executor opens, of these, the ones the
   * tool declares, and only for this call. Absent: none.
   */
  secrets: z.array(SecretName).max(policyLimits.secrets).optional(),
  signer: z.string().regex(/^[A-Z2-7]{56}$/),
  signature: z.string().min(1).max(200),
});
export type ToolGrant = z.infer<typeof ToolGrant>;

/**
 * What the session actor asks the permission broker before a tool call runs, on
 * `<prefix>.rpc.permission.check` (request/reply; the broker's replicas share it as a queue group).
 * It carries what the session was created with, so the broker needs nothing else to decide: only the
 * session actor's NATS user may publish on this subject.
 */
export const PermissionCheck = z.strictObject({
  sessionId: SessionId,
  callId: z.string().min(1).max(256),
  tool: ToolName,
  input: JsonData,
  /** The agent as the session was created with it: the policy it names, or else the tools it lists. */
  agent: z.strictObject({ name: AgentName, tools: z.array(ToolName), policy: PolicyName.optional() }),
  /** The task's own policy, which can only narrow the agent's. */
  taskPolicy: Policy.optional(),
  /** A child session's: the sessions that delegated to it, whose delegable rights bound its own. */
  delegatedBy: DelegationChain.optional(),
  /**
   * A person approved this call (or the tool's calls for the rest of the session): a policy's `ask`
   * becomes an allow, with a grant. A `deny` still denies. Only the session actor, which records
   * approvals, may send checks.
   */
  approved: z.strictObject({ approvalId: ApprovalId, by: z.string().min(1).max(200) }).optional(),
});
export type PermissionCheck = z.infer<typeof PermissionCheck>;

/** The broker's answer for one call, recorded in the session's log as it was given. */
export const PermissionVerdict = z.strictObject({
  effect: Effect,
  /** A sentence the model reads when the call is refused: which rule of which policy, and why. */
  reason: z.string().max(2000),
  /** The policy (a layer of a narrowed policy) whose rule or default decided; absent when none could (no broker answered). */
  policy: z.string().min(1).max(128).optional(),
  policyVersion: z.number().int().positive().optional(),
  /** The deciding rule, by its place in the policy's rules (from 0) and its id. */
  rule: z.strictObject({ index: z.number().int().nonnegative(), id: z.string().max(64).optional() }).optional(),
  /** On an `ask`: how long the call waits for a person before it is denied, when its rule says. */
  approvalTimeoutMs: ApprovalTimeoutMs.optional(),
  /** The broker's signed grant, on an `allow` from a broker that signs. */
  grant: ToolGrant.optional(),
});
export type PermissionVerdict = z.infer<typeof PermissionVerdict>;

/** The broker's reply: a verdict, or why it could not read the request (the actor denies the call with that). */
export const PermissionReply = z.union([z.strictObject({ verdict: PermissionVerdict }), z.strictObject({ error: z.string().max(2000) })]);
export type PermissionReply = z.infer<typeof PermissionReply>;

/** How long the session actor keeps asking for a verdict before it denies the call (fail closed). */
export const permissionCheckTimeoutMs = 30_000;

/**
 * A broker replica's answer on `<prefix>.rpc.permission.status` (any body; JSON reply), for `doctor`:
 * which replica, the public NKey it signs grants with (none: it issues no grants), the policies it holds.
 */
export const PermissionBrokerStatus = z.strictObject({
  instance: z.string().min(1).max(200),
  signer: z.string().regex(/^U[A-Z2-7]{55}$/).optional(),
  policies: z.array(z.strictObject({ name: PolicyName, version: z.number().int().positive() })).max(10_000),
});
export type PermissionBrokerStatus = z.infer<typeof PermissionBrokerStatus>;
