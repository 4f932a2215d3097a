import type { DreamJob, DreamRun, MemoryOrigin, MemoryStoreDefinition, MemoryVersion, SessionIndexEntry } from '@signalbox/events';
import type { ModelLookup, ProviderConfig } from '@signalbox/models';
import { ROOT_CONTEXT, type Context, type Tracer } from '@opentelemetry/api';
import { Rejection, tracedModel, type Logger } from '@signalbox/runtime';
import type { EventReader } from '@signalbox/store';
import { checkChanges } from '../core/change-check.ts';
import { consolidationRequest, fitRequest } from '../core/consolidation-request.ts';
import { parseReply } from '../core/consolidation-reply.ts';
import { autoPromoter, proposalsOf } from '../core/proposals.ts';
import { candidateSessions } from '../core/session-selection.ts';
import type { Transcript, TranscriptLimits } from '../core/transcript.ts';
import { consolidationModel } from './consolidation-model.ts';
import type { MemoryPort } from './memory-port.ts';
import { readTranscripts } from './read-transcripts.ts';

/** What a consolidation needs from the consolidator process. */
export interface ConsolidationDeps {
  memory: MemoryPort;
  reader: EventReader;
  sessionRows: () => Promise<SessionIndexEntry[]>;
  models: ModelLookup;
  providers: ProviderConfig['providers'];
  /** `memoryEntryId` of the store library. */
  entryId: (seed: string) => string;
  clock: () => number;
  logger: Logger;
  limits: { transcript: TranscriptLimits; requestChars: number };
  modelDeadlineMs: number;
  /** Traces the model call under the job's span; undefined: no spans. */
  tracer?: Tracer;
}

/**
 * Does one dream job: reads the store's unread finished sessions, asks its model what to remember,
 * checks every change's evidence, proposes the changes (promoting the clean ones under `auto`), marks
 * the sessions read and records the run. A job already run is not run again; one that proposed
 * before its process died is finished from the versions it proposed, without asking the model again.
 * A job that can never run (no such store, no consolidation, a model refused) is recorded as failed
 * and thrown as a Rejection, so it is dead-lettered with the reason.
 */
export async function consolidate(deps: ConsolidationDeps, job: DreamJob, traceContext: Context = ROOT_CONTEXT): Promise<DreamRun> {
  const { memory } = deps;
  const done = await memory.run(job.store, job.jobId);
  if (done) return done;
  const definition = await memory.definition(job.store);
  const settings = definition?.consolidation;
  if (!definition || !settings) return refuse(deps, job, definition ? `memory store ${job.store} has no consolidation settings` : `no memory store ${job.store}`);
  const resolved = consolidationModel(settings, deps.models, deps.providers);
  if (!resolved.ok) return refuse(deps, job, resolved.problem);
  const proposed = (await memory.versions(job.store)).filter((version) => version.origin.kind === 'consolidation' && version.origin.jobId === job.jobId);
  if (proposed.length > 0) return finishProposed(deps, job, definition, proposed);

  const head = await memory.head(job.store);
  const candidates = candidateSessions(await deps.sessionRows(), settings.reads.agents ?? definition.agents, await memory.readSessions(job.store));
  const wanted = { limit: job.sessions ?? settings.sessions, metadata: settings.reads.metadata, limits: deps.limits.transcript };
  const { read, deferred } = fitRequest(await readTranscripts(deps.reader, candidates, wanted, deps.logger), deps.limits.requestChars);
  if (deferred.length > 0) deps.logger.info({ store: job.store, deferred: deferred.length }, 'the request is full: these sessions wait for the next consolidation');
  if (read.length === 0) return record(deps, { jobId: job.jobId, store: job.store, status: 'nothing-to-read', versions: [], sessions: 0, at: deps.clock() });

  const request = consolidationRequest(resolved.model.name, definition, head?.entries ?? [], read);
  const model = tracedModel(resolved.model, deps.tracer, traceContext);
  const response = await model.provider.complete(request, { signal: AbortSignal.timeout(deps.modelDeadlineMs) });
  const text = response.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('');
  deps.logger.info({ store: job.store, sessions: read.length, costUsd: resolved.model.costOf(response.usage), cutEvents: read.reduce((sum, t) => sum + t.cut, 0) }, 'consolidation model answered');
  const parsed = parseReply(text);
  if (!parsed.ok) return record(deps, failedRun(deps, job, `the consolidation model's reply was refused: ${parsed.problem}`));

  const checked = checkChanges(parsed.reply, { jobId: job.jobId, definition, transcripts: read, held: new Set(head?.entries.map((entry) => entry.id)), entryId: deps.entryId });
  for (const refused of checked.refused) deps.logger.warn({ store: job.store, jobId: job.jobId, ...refused }, 'a proposed memory change was refused');
  const origin: MemoryOrigin = { kind: 'consolidation', jobId: job.jobId, provider: resolved.place.provider, model: settings.model, sessions: read.map((t) => t.sessionId) };
  const versions: number[] = [];
  for (const proposal of proposalsOf(checked.changes, definition.promotion)) {
    const version = await memory.propose(job.store, proposal.changes, origin, deps.clock());
    if (proposal.promote) await memory.promote(job.store, version.version, autoPromoter, deps.clock(), { heldToo: false });
    versions.push(version.version);
  }
  return finish(deps, job, read, versions);
}

async function finish(deps: ConsolidationDeps, job: DreamJob, read: readonly Pick<Transcript, 'sessionId'>[], versions: number[]): Promise<DreamRun> {
  await deps.memory.markRead(job.store, read.map((transcript) => transcript.sessionId));
  return record(deps, { jobId: job.jobId, store: job.store, status: 'done', versions, sessions: read.length, at: deps.clock() });
}

/**
 * A job redelivered after it proposed: the versions it proposed stand for its reply. Under `auto`, a
 * version with no held change is promoted if it is not yet; a version never proposed (the process died
 * between two proposals) is lost, and it can only be the held one (proposals.ts).
 */
async function finishProposed(deps: ConsolidationDeps, job: DreamJob, definition: MemoryStoreDefinition, proposed: readonly MemoryVersion[]): Promise<DreamRun> {
  for (const version of proposed) {
    const clean = version.changes.every((change) => change.held === undefined);
    if (definition.promotion === 'auto' && clean && version.state === 'proposed') await deps.memory.promote(job.store, version.version, autoPromoter, deps.clock(), { heldToo: false });
  }
  const sessions = proposed.flatMap((version) => (version.origin.kind === 'consolidation' ? version.origin.sessions : []));
  deps.logger.info({ store: job.store, jobId: job.jobId, versions: proposed.map((version) => version.version) }, 'finishing a dream job that proposed before it was interrupted');
  return finish(deps, job, [...new Set(sessions)].map((sessionId) => ({ sessionId })), proposed.map((version) => version.version));
}

function failedRun(deps: ConsolidationDeps, job: DreamJob, error: string): DreamRun {
  return { jobId: job.jobId, store: job.store, status: 'failed', versions: [], sessions: 0, error: error.slice(0, 2_000), at: deps.clock() };
}

async function refuse(deps: ConsolidationDeps, job: DreamJob, reason: string): Promise<never> {
  // A store that does not exist may have nowhere to keep the run: the dead letter keeps the reason.
  await record(deps, failedRun(deps, job, reason)).catch((error: unknown) => deps.logger.warn({ err: error, store: job.store }, 'could not record the failed run'));
  throw new Rejection(reason);
}

async function record(deps: ConsolidationDeps, run: DreamRun): Promise<DreamRun> {
  await deps.memory.recordRun(run.store, run);
  const { versions, sessions, status, error } = run;
  if (status === 'failed') deps.logger.warn({ store: run.store, jobId: run.jobId, error }, 'dream job failed');
  else deps.logger.info({ store: run.store, jobId: run.jobId, status, versions, sessions }, 'dream job done');
  return run;
}
