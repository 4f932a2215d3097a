import { z } from 'zod';
import { GateVerdict } from './catalogue.ts';
import { SessionId, ToolName } from './ids.ts';

/**
 * The supervisor's synchronous gate (`supervision.gate`, decider version 7 on): before a reply's tool
 * calls run, the session actor asks the supervisor replica that follows the session, on
 * `<prefix>.rpc.supervisor.gate.<partition>`, whether they may. The replica answers once it has
 * folded the session's log up to `head`, so its verdict is on the session as the calls were proposed.
 */

/** Calls one gate request may carry; a reply with more is asked about in parts. */
export const maxGatedCalls = 256;

export const SupervisorGateRequest = z
  .strictObject({
    sessionId: SessionId,
    /** The session's last event when the calls were proposed: the replica answers once it has seen it. */
    head: z.number().int().positive(),
    /** The calls of the reply at (or before) `head`, by id: their inputs are in that reply, which the replica has folded. */
    calls: z.array(z.strictObject({ callId: z.string().min(1).max(256), tool: ToolName })).max(maxGatedCalls),
    /** The model call about to be made (`gate.modelCalls`), asked about alone. */
    modelCall: z.strictObject({ callId: z.string().min(1).max(256) }).optional(),
  })
  .refine((request) => (request.calls.length > 0) !== (request.modelCall !== undefined), { message: 'a gate request asks about tool calls or one model call', path: ['calls'] });
export type SupervisorGateRequest = z.infer<typeof SupervisorGateRequest>;

/** The verdicts, one a call, or why the request could not be read (the actor then gives the agent's fail-open or fail-closed verdict). */
export const SupervisorGateReply = z.union([
  z.strictObject({
    verdicts: z.array(GateVerdict).max(maxGatedCalls),
    /** The replica that answered. */
    by: z.string().min(1).max(200),
  }),
  z.strictObject({ error: z.string().max(2_000) }),
]);
export type SupervisorGateReply = z.infer<typeof SupervisorGateReply>;
