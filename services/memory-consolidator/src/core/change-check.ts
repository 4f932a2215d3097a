import type { MemoryChange, MemoryDraft, MemoryEvidence, MemoryStoreDefinition } from '@signalbox/events';
import type { ConsolidationReply } from './consolidation-reply.ts';
import { toolEchoFinder, type ToolSaid } from './tool-echo.ts';
import type { Transcript } from './transcript.ts';

/** A change the model proposed and the check dropped, and why. */
export interface RefusedChange {
  kind: MemoryChange['kind'];
  /** Its text or the entry it named, cut short, for the log. */
  what: string;
  reason: string;
}

export interface CheckedChanges {
  changes: MemoryChange[];
  refused: RefusedChange[];
}

/** What a check needs beside the reply: the job (entry ids derive from it), the store, what was read, what the store holds. */
export interface CheckContext {
  jobId: string;
  definition: MemoryStoreDefinition;
  transcripts: readonly Transcript[];
  /** The ids of the entries of the store's head. */
  held: ReadonlySet<string>;
  /** `memoryEntryId`: an entry's id from a seed, so a job done twice proposes the same entries. */
  entryId: (seed: string) => string;
}

/**
 * The reply's changes as the store takes them, each checked: its evidence cites events shown in the
 * transcripts read (else it is refused), it names entries the head holds and no other change of this
 * consolidation touches, its scope names an agent of the store. A change whose evidence includes a
 * tool's output, or whose text repeats one, is held for a person: prompt injection comes through tool
 * output, so nothing a tool said is remembered without a person's promotion.
 */
export function checkChanges(reply: ConsolidationReply, context: CheckContext): CheckedChanges {
  const checked: CheckedChanges = { changes: [], refused: [] };
  const touched = new Set<string>();
  const sessions = new Map(context.transcripts.map((transcript) => [transcript.sessionId, transcript]));
  const echoOf = toolEchoFinder(context.transcripts);
  const withHold = <C extends MemoryChange>(change: C, evidence: readonly MemoryEvidence[], text: string): C => {
    const held = heldFor(evidence, sessions, echoOf(text));
    return held === undefined ? change : { ...change, held };
  };
  const keep = (change: MemoryChange, what: string, problem: string | undefined) => {
    if (problem === undefined) checked.changes.push(change);
    else checked.refused.push({ kind: change.kind, what: what.slice(0, 120), reason: problem });
  };
  reply.add.forEach((add, index) => {
    const draft: MemoryDraft = { text: add.text, scope: add.scope, confidence: add.confidence, evidence: add.evidence };
    const problem = evidenceProblem(add.evidence, sessions) ?? scopeProblem(draft, context.definition);
    keep(withHold({ kind: 'add', id: context.entryId(`${context.jobId}:add:${index}`), draft }, add.evidence, add.text), add.text, problem);
  });
  reply.merge.forEach((merge, index) => {
    const draft: MemoryDraft = { text: merge.text, scope: merge.scope, confidence: merge.confidence, evidence: merge.evidence };
    const problem = idsProblem(merge.ids, context.held, touched) ?? evidenceProblem(merge.evidence, sessions) ?? scopeProblem(draft, context.definition);
    if (problem === undefined) for (const id of merge.ids) touched.add(id);
    keep(withHold({ kind: 'merge', id: context.entryId(`${context.jobId}:merge:${index}`), ids: merge.ids, draft }, merge.evidence, merge.text), merge.text, problem);
  });
  for (const retire of reply.retire) {
    const problem = idsProblem([retire.id], context.held, touched) ?? evidenceProblem(retire.evidence, sessions);
    if (problem === undefined) touched.add(retire.id);
    keep(withHold({ kind: 'retire', id: retire.id, reason: retire.reason, evidence: retire.evidence }, retire.evidence, retire.reason), retire.id, problem);
  }
  return checked;
}

function evidenceProblem(evidence: readonly MemoryEvidence[], sessions: ReadonlyMap<string, Transcript>): string | undefined {
  for (const { sessionId, events } of evidence) {
    const transcript = sessions.get(sessionId);
    if (!transcript) return `it cites session ${sessionId}, which this consolidation did not read`;
    const missing = events.find((n) => !transcript.shown.has(n));
    if (missing !== undefined) return `it cites event ${missing} of session ${sessionId}, which is not in the transcript read`;
  }
  return undefined;
}

function idsProblem(ids: readonly string[], held: ReadonlySet<string>, touched: ReadonlySet<string>): string | undefined {
  if (new Set(ids).size !== ids.length) return 'it names an entry twice';
  const unknown = ids.find((id) => !held.has(id));
  if (unknown !== undefined) return `it names ${unknown.slice(0, 40)}, which the store does not hold`;
  const again = ids.find((id) => touched.has(id));
  if (again !== undefined) return `it names ${again}, which an earlier change of this consolidation already merges or retires`;
  return undefined;
}

function scopeProblem(draft: MemoryDraft, definition: MemoryStoreDefinition): string | undefined {
  if (draft.scope === 'team' || definition.agents.includes(draft.scope.agent)) return undefined;
  return `its scope names agent ${draft.scope.agent}, which is not one of the store's`;
}

/** Why a change waits for a person: its evidence includes an event that carries a tool's output, or its text repeats one. */
function heldFor(evidence: readonly MemoryEvidence[], sessions: ReadonlyMap<string, Transcript>, echo: ToolSaid | undefined): string | undefined {
  for (const { sessionId, events } of evidence) {
    const tainted = events.find((n) => sessions.get(sessionId)?.toolOutputs.has(n));
    if (tainted !== undefined) return `evidence includes tool output (session ${sessionId} event ${tainted}): a person must promote it`;
  }
  return echo && `its text repeats tool output (session ${echo.sessionId} event ${echo.n}): a person must promote it`;
}
