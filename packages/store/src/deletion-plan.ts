import { assertNever, isSubjectToken, type SessionIndexEntry } from '@signalbox/events';

/** What the index and the logs say of one session, as the planner needs it. */
export interface SessionFacts {
  sessionId: string;
  /** The root of its run, whose id names the run's workspace (a subagent shares its root's). */
  root: string;
  status: SessionIndexEntry['status'];
  agent: string;
  /** When its row last changed (for a completed session, when it completed), in ms. */
  updatedAt: number;
  /** The session that spawned it as a subagent. */
  parent?: string;
  /** The session it was forked from. */
  forkedFrom?: string;
  metadata?: Readonly<Record<string, string>>;
}

/** One session to delete, and whether its run's workspace goes with it (only a root's does). */
export interface SessionDeletion {
  sessionId: string;
  root: string;
  deletesWorkspace: boolean;
}

export type DeletionRefusal =
  | { reason: 'invalid-id'; sessionId: string }
  | { reason: 'not-found'; sessionId: string }
  | { reason: 'has-dependents'; sessionId: string; forks: string[]; children: string[] }
  | { reason: 'not-completed'; sessionId: string; status: SessionFacts['status'] };

/** Sessions in the order to delete them (dependents before what they depend on), or why not. */
export type DeletionPlan = { kind: 'delete'; sessions: SessionDeletion[] } | { kind: 'refused'; refusals: DeletionRefusal[] };

const completed = new Set<SessionFacts['status']>(['succeeded', 'failed', 'aborted']);

/**
 * Decides what deleting `requested` removes. A session that forks or subagents depend on is refused
 * unless `cascade`, which takes the whole tree below it; a session still running (or paused) is
 * refused, since its actor would append again: it must end (or be aborted) first. Nothing is deleted if anything is refused.
 */
export function planDeletion(requested: readonly string[], known: readonly SessionFacts[], cascade: boolean): DeletionPlan {
  const byId = new Map(known.map((facts) => [facts.sessionId, facts]));
  const unknown = requested.flatMap((sessionId): DeletionRefusal[] => {
    if (!isSubjectToken(sessionId) || sessionId.length > 128) return [{ reason: 'invalid-id', sessionId }];
    return byId.has(sessionId) ? [] : [{ reason: 'not-found', sessionId }];
  });
  if (unknown.length > 0) return { kind: 'refused', refusals: unknown };
  const dependents = dependentsOf(known);
  // Dependents first either way, so a deletion cut off midway never leaves a fork without its origin.
  const named = new Set(requested);
  const ordered = cascade ? treeBelow(requested, dependents) : treeBelow(requested, dependents).filter((id) => named.has(id));
  const chosen = new Set(ordered);
  const refusals = ordered.flatMap((sessionId) => refusalsOf(byId.get(sessionId) as SessionFacts, dependents, chosen));
  if (refusals.length > 0) return { kind: 'refused', refusals };
  return { kind: 'delete', sessions: ordered.map((sessionId) => deletionOf(byId.get(sessionId) as SessionFacts)) };
}

/** The sessions whose metadata holds every `key=value` of `filter`; none for an empty filter. */
export function sessionsMatching(known: readonly SessionFacts[], filter: Readonly<Record<string, string>>): string[] {
  const pairs = Object.entries(filter);
  if (pairs.length === 0) return [];
  const holds = (metadata: SessionFacts['metadata'], key: string, value: string) => metadata !== undefined && Object.hasOwn(metadata, key) && metadata[key] === value;
  return known.filter(({ metadata }) => pairs.every(([key, value]) => holds(metadata, key, value))).map(({ sessionId }) => sessionId);
}

/** How a refusal reads to a person. */
export function refusalText(refusal: DeletionRefusal): string {
  switch (refusal.reason) {
    case 'invalid-id':
      return `"${refusal.sessionId}" is not a session id (letters, digits, "-" and "_" only)`;
    case 'not-found':
      return `no session ${refusal.sessionId}`;
    case 'has-dependents':
      return `${refusal.sessionId} has ${dependentsText(refusal)}: delete them first, or add --cascade to delete them too`;
    case 'not-completed':
      return `${refusal.sessionId} is ${refusal.status}: only a completed session can be deleted (wait for it to end, close it (signalbox close), or have it aborted)`;
    default:
      return assertNever(refusal);
  }
}

function dependentsText({ forks, children }: { forks: string[]; children: string[] }): string {
  const parts = [forks.length > 0 ? `forks ${forks.join(', ')}` : '', children.length > 0 ? `subagents ${children.join(', ')}` : ''];
  return parts.filter(Boolean).join(' and ');
}

interface Dependents {
  forks: string[];
  children: string[];
}

function dependentsOf(known: readonly SessionFacts[]): Map<string, Dependents> {
  const map = new Map<string, Dependents>();
  const at = (id: string) => map.get(id) ?? map.set(id, { forks: [], children: [] }).get(id)!;
  for (const { sessionId, parent, forkedFrom } of known) {
    if (parent !== undefined) at(parent).children.push(sessionId);
    if (forkedFrom !== undefined) at(forkedFrom).forks.push(sessionId);
  }
  return map;
}

/** `requested` and everything that depends on them, each after all its dependents (post-order), once. */
function treeBelow(requested: readonly string[], dependents: ReadonlyMap<string, Dependents>): string[] {
  const ordered: string[] = [];
  const seen = new Set<string>();
  const visit = (root: string) => {
    // Iterative, so a deep chain of forks cannot overflow the stack.
    const stack: { id: string; expanded: boolean }[] = [{ id: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack.pop()!;
      if (top.expanded) {
        ordered.push(top.id);
        continue;
      }
      if (seen.has(top.id)) continue;
      seen.add(top.id);
      stack.push({ id: top.id, expanded: true });
      const below = dependents.get(top.id);
      for (const id of [...(below?.forks ?? []), ...(below?.children ?? [])]) if (!seen.has(id)) stack.push({ id, expanded: false });
    }
  };
  for (const id of requested) visit(id);
  return ordered;
}

function refusalsOf(facts: SessionFacts, dependents: ReadonlyMap<string, Dependents>, chosen: ReadonlySet<string>): DeletionRefusal[] {
  const refusals: DeletionRefusal[] = [];
  if (!completed.has(facts.status)) refusals.push({ reason: 'not-completed', sessionId: facts.sessionId, status: facts.status });
  const below = dependents.get(facts.sessionId);
  const forks = (below?.forks ?? []).filter((id) => !chosen.has(id));
  const children = (below?.children ?? []).filter((id) => !chosen.has(id));
  if (forks.length + children.length > 0) refusals.push({ reason: 'has-dependents', sessionId: facts.sessionId, forks, children });
  return refusals;
}

function deletionOf({ sessionId, root }: SessionFacts): SessionDeletion {
  return { sessionId, root, deletesWorkspace: sessionId === root };
}

/**
 * Content shared by sha256 that `holder`'s deletion may remove: what no holder outside `deleted`
 * refers to. `holders` maps each sha256 to everything that refers to it now. Content `holder` has no
 * reference to was stored before references were recorded: who else holds it is unknown, so it is kept.
 */
export function unreferencedContent(shas: Iterable<string>, holders: ReadonlyMap<string, readonly string[]>, holder: string, deleted: ReadonlySet<string>): string[] {
  return [...new Set(shas)].filter((sha) => {
    const referring = holders.get(sha) ?? [];
    return referring.includes(holder) && referring.every((other) => deleted.has(other));
  });
}
