import type { AgentDefinition, ModelRequest, Usage } from '@signalbox/events';
import { createScriptedProvider, ModelError, type ModelProvider } from '@signalbox/models';
import type { SessionCommand } from '../core/decide.ts';

/** A provider for the agent's model, and what its usage costs. */
export interface ResolvedModel {
  provider: ModelProvider;
  costOf(usage: Usage): number;
}

/** Finds the model an agent names. The default knows only `scripted`; real providers plug in here. */
export type ModelResolver = (agent: AgentDefinition) => ResolvedModel;

export const scriptedOnly: ModelResolver = (agent) => {
  if (agent.model !== 'scripted' || !agent.script) {
    throw new ModelError('not_found', `no provider is configured for model "${agent.model}"`, { retryable: false });
  }
  return { provider: createScriptedProvider(agent.script), costOf: () => 0 };
};

/** Performs one model call and turns its result, good or bad, into the command that records it. */
export async function callModel(
  resolve: ModelResolver,
  agent: AgentDefinition,
  call: { callId: string; request: ModelRequest },
  clock: () => number,
): Promise<SessionCommand> {
  const started = clock();
  try {
    const model = resolve(agent);
    const response = await model.provider.complete(call.request);
    return { type: 'RecordModelReply', callId: call.callId, response, costUsd: model.costOf(response.usage), latencyMs: clock() - started };
  } catch (error) {
    if (error instanceof ModelError) {
      return { type: 'RecordModelFailure', callId: call.callId, code: error.code, message: error.message, retryable: error.retryable };
    }
    // Not a provider failure we understand: record it, but do not spin on it.
    const message = error instanceof Error ? error.message : String(error);
    return { type: 'RecordModelFailure', callId: call.callId, code: 'unexpected', message, retryable: false };
  }
}
