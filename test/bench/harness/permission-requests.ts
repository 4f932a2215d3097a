import { setTimeout as sleep } from 'node:timers/promises';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { decode, encode, PermissionReply, type AgentDefinition, type Naming, type PermissionCheck } from '@signalbox/events';
import { requestSampler, type RequestSampler } from './request-reply.ts';

/**
 * The permission checks a session actor would send for `agent`'s first tool, one new call each, as
 * msgpack: the body of the `index`th.
 */
export function permissionCheckBodies(agent: AgentDefinition, sessionId: string): (index: number) => Uint8Array {
  const tool = agent.tools[0];
  if (tool === undefined) throw new Error(`agent ${agent.name} lists no tool to check`);
  return (index) =>
    encode({
      sessionId,
      callId: `call-${index}`,
      tool,
      input: {},
      agent: { name: agent.name, tools: agent.tools, ...(agent.policy ? { policy: agent.policy } : {}) },
    } satisfies PermissionCheck);
}

/** Sends those checks to the broker; every reply must be an allow with a signed grant (a refusal or an error would make a fast figure meaningless). */
export function permissionCheckSampler(nc: NatsConnection, names: Naming, bodies: (index: number) => Uint8Array): RequestSampler {
  return requestSampler(nc, names.subjects.permissionCheck, bodies, requireGrant);
}

function requireGrant(reply: Msg): void {
  const answer = decode(PermissionReply, reply.data, "the permission broker's reply");
  if (!('verdict' in answer)) throw new Error(`the permission broker could not read the check: ${answer.error}`);
  if (answer.verdict.effect !== 'allow' || !answer.verdict.grant) throw new Error(`the check was not granted: ${answer.verdict.reason}`);
}

/** Waits until the broker has read the applied policy (its bucket watch delivers it a moment later), so no check is measured as a quick "not applied". */
export async function untilPolicyApplied(sampler: RequestSampler, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await sampler.sample(1, { warmup: true });
    } catch (error) {
      if (performance.now() > deadline) throw new Error(`the broker did not allow the benchmark's calls within ${timeoutMs} ms`, { cause: error });
      await sleep(20);
    }
  }
}
