import { createHash } from 'node:crypto';
import { canonicalJson, type DigestScheme, type ModelRequest } from '@signalbox/events';
import type { ActiveState } from './state.ts';

/** The next model call, a function of the session's events, rebuilt the same way on every replay. */
export interface ModelCallPlan {
  /** The request with the messages the state holds; `earlierMessages` more precede them (see Conversation). */
  request: ModelRequest;
  earlierMessages: number;
  /** Recorded in `model.requested` (scheme `message-chain`), so replay can prove it rebuilt the same request. */
  digest: string;
}

export function planModelCall(state: ActiveState): ModelCallPlan {
  const { conversation } = state;
  const settings = requestSettings(state);
  return {
    request: { ...settings, messages: conversation.messages },
    earlierMessages: conversation.earlier,
    digest: sha256(canonicalJson({ ...settings, messages: conversation.digest })),
  };
}

/** Everything in a request but its messages. */
function requestSettings(state: ActiveState): Omit<ModelRequest, 'messages'> {
  const settings: Omit<ModelRequest, 'messages'> = { model: modelNameOf(state.agent.model), tools: state.tools, maxTokens: state.agent.maxTokens };
  if (state.agent.system) settings.system = state.agent.system;
  return settings;
}

/** A model call as the shell makes it: its `message-chain` digest and the request with every message. */
interface CallToDigest {
  digest: string;
  request: ModelRequest;
}

/**
 * The digest a `model.requested` of each scheme holds for a call. A `whole-request` one (runs
 * recorded before v2) needs every message: only a fold of the whole log, or the shell, has them.
 */
export const digestUnder: Readonly<Record<DigestScheme, (call: CallToDigest) => string>> = {
  'message-chain': (call) => call.digest,
  'whole-request': (call) => wholeRequestDigest(call.request),
};

/** The `whole-request` digest: sha256 of the whole request. */
export function wholeRequestDigest(request: ModelRequest): string {
  return sha256(canonicalJson(request));
}

/** `anthropic/claude-x` → `claude-x`; `scripted` stays `scripted`. */
function modelNameOf(model: string): string {
  const slash = model.indexOf('/');
  return slash === -1 ? model : model.slice(slash + 1);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
