import { maxInputDepth, valueDepthProblem, type AgentDefinition, type Message, type ModelRequest, type ScriptStep, type Usage } from '@signalbox/events';
import {
  createScriptedProvider,
  ModelError,
  parseModelName,
  type CallOptions,
  type ModelProvider,
  type ProviderRegistry,
} from '@signalbox/models';
import { compactionRequest, type SessionCommand, type SessionEffect } from '@signalbox/session';
import { InterruptedCall } from './interrupts.ts';
import { noProviderKeys, type ProviderKeys } from './provider-keys.ts';

/** A provider for the agent's model, and what its usage costs. */
export interface ResolvedModel {
  provider: ModelProvider;
  costOf(usage: Usage): number;
}

/** Finds the model an agent names: `scripted` from its script, `<provider>/<model>` from the registry. */
export type ModelResolver = (agent: AgentDefinition) => ResolvedModel | Promise<ResolvedModel>;

/**
 * An agent with a `providerKeySecret` gets its provider keyed from the vault (`providerKeys`; without
 * them, such an agent's calls fail for want of a vault key); any other, the registry's, keyed from the environment.
 */
export function modelResolver(registry: ProviderRegistry, providerKeys: ProviderKeys = noProviderKeys): ModelResolver {
  // One provider per script (a cached session's agent is the same object from step to step), not one per call.
  const scripted = new WeakMap<readonly ScriptStep[], ModelProvider>();
  return (agent) => {
    if (agent.model === 'scripted') {
      if (!agent.script) throw new ModelError('invalid_request', 'a scripted agent needs a script', { retryable: false });
      let provider = scripted.get(agent.script);
      if (!provider) scripted.set(agent.script, (provider = createScriptedProvider(agent.script)));
      return { provider, costOf: () => 0 };
    }
    const { provider, model } = parseModelName(agent.model);
    const costOf = (usage: Usage) => registry.costOf(provider, model, usage).costUsd;
    if (agent.providerKeySecret === undefined) return { provider: registry.providerFor(provider), costOf };
    return providerKeys(provider, agent.providerKeySecret).then((keyed) => ({ provider: keyed, costOf }));
  };
}

/**
 * Performs one model call and turns its result, good or bad, into the command that records it.
 * `onText`, given, hears the reply's text as it arrives (the provider streams); the command is the same.
 */
export async function callModel(
  resolve: ModelResolver,
  agent: AgentDefinition,
  call: { callId: string; request: ModelRequest },
  clock: () => number,
  options: { signal?: AbortSignal | undefined; onText?: ((delta: string) => void) | undefined; traceparent?: string | undefined } = {},
): Promise<SessionCommand> {
  const started = clock();
  // What the provider reported the call cost as it streamed: an interrupt records it for the abandoned call.
  let reported: { usage: Usage; costUsd: number } | undefined;
  try {
    const model = await resolve(agent);
    const onUsage = (usage: Usage) => void (reported = { usage, costUsd: model.costOf(usage) });
    const response = await model.provider.complete(call.request, definedOnly({ ...options, onUsage }));
    const costUsd = model.costOf(response.usage);
    // A reply the log could not hold would fail its append on every retry, each retry calling the model again.
    const unrecordable = valueDepthProblem(response, maxInputDepth);
    if (unrecordable !== undefined) {
      const message = `the model's reply cannot be recorded: ${unrecordable}`;
      return { type: 'RecordModelFailure', callId: call.callId, code: 'unrecordable_reply', message, retryable: false, usage: response.usage, costUsd };
    }
    return { type: 'RecordModelReply', callId: call.callId, response, costUsd, latencyMs: clock() - started };
  } catch (error) {
    // Abandoned for an interrupt: that is what is recorded, not a failed call.
    const { signal } = options;
    if (signal?.aborted && signal.reason instanceof InterruptedCall) return { type: 'Interrupt', ...signal.reason.interrupt, ...reported };
    if (error instanceof ModelError) {
      return { type: 'RecordModelFailure', callId: call.callId, code: error.code, message: error.message, retryable: error.retryable };
    }
    // Not a provider failure we understand: record it, but do not spin on it.
    const message = error instanceof Error ? error.message : String(error);
    return { type: 'RecordModelFailure', callId: call.callId, code: 'unexpected', message, retryable: false };
  }
}

/**
 * Asks the model for a compaction's summary (`compactionRequest`) and turns the answer, or the failure,
 * into the command that records it; the summary is the reply's text.
 */
export async function summarise(resolve: ModelResolver, agent: AgentDefinition, effect: Extract<SessionEffect, { type: 'CompactContext' }>, messages: readonly Message[]): Promise<SessionCommand> {
  const { callId, model, from, upTo, previous, tokensBefore } = effect;
  const result = { type: 'RecordCompaction' as const, callId, from, upTo, model, tokensBefore };
  try {
    const resolved = await resolve({ ...agent, model });
    const response = await resolved.provider.complete(compactionRequest(providerModelOf(model), previous, messages));
    const costUsd = resolved.costOf(response.usage);
    const summary = response.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('\n').trim();
    if (summary === '') return { ...result, error: 'the model wrote no summary', usage: response.usage, costUsd };
    return { ...result, summary, usage: response.usage, costUsd };
  } catch (error) {
    return { ...result, error: error instanceof Error ? error.message : String(error), costUsd: 0 };
  }
}

/** `anthropic/claude-x` → `claude-x`, as a request names its model; `scripted` stays `scripted`. */
function providerModelOf(model: string): string {
  const slash = model.indexOf('/');
  return slash === -1 ? model : model.slice(slash + 1);
}

/** The call options that are set: the provider options type leaves no room for an explicit `undefined`. */
function definedOnly(options: { signal?: AbortSignal | undefined; onText?: ((delta: string) => void) | undefined; traceparent?: string | undefined; onUsage: (usage: Usage) => void }): CallOptions {
  const { signal, onText, traceparent, onUsage } = options;
  return { ...(signal ? { signal } : {}), ...(onText ? { onText } : {}), ...(traceparent ? { traceparent } : {}), onUsage };
}
