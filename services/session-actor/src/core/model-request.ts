import { createHash } from 'node:crypto';
import type { ModelRequest } from '@signalbox/events';
import type { ActiveState } from './state.ts';

/** The next model request is a function of the session's events, rebuilt the same way on every replay. */
export function buildModelRequest(state: ActiveState): ModelRequest {
  const request: ModelRequest = {
    model: modelNameOf(state.agent.model),
    messages: state.messages,
    tools: state.tools,
    maxTokens: state.agent.maxTokens,
  };
  if (state.agent.system) request.system = state.agent.system;
  return request;
}

/** `anthropic/claude-x` → `claude-x`; `scripted` stays `scripted`. */
function modelNameOf(model: string): string {
  const slash = model.indexOf('/');
  return slash === -1 ? model : model.slice(slash + 1);
}

/** sha256 of the request in a canonical JSON form, stored in `model.requested` so replay can prove it rebuilt the same request. */
export function requestDigest(request: ModelRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
