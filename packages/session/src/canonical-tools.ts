import { CanonicalPart, type ToolDefinition } from '@signalbox/events';

/** Each session's tools, as the state holds them from `session.created` on, with their canonical JSON. */
const canonicalTools = new WeakMap<readonly ToolDefinition[], CanonicalPart>();

/**
 * The tools' canonical JSON, computed once for the array the state holds: every step's request digest
 * and size estimate include the tools, and states share that array from step to step, so a session of
 * large tool schemas walks them once, not once a step. Never mutated: it is the event's own data.
 */
export function canonicalToolsOf(tools: readonly ToolDefinition[]): CanonicalPart {
  let part = canonicalTools.get(tools);
  if (!part) canonicalTools.set(tools, (part = new CanonicalPart(tools)));
  return part;
}
