import type { SessionEvent, SessionIndexEntry } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import type { EventReader } from '@signalbox/store';
import { exclusionOf } from '../core/session-selection.ts';
import { renderTranscript, type Transcript, type TranscriptLimits } from '../core/transcript.ts';

/** Logs read at once: a consolidation reads up to 100, each a batched direct get. */
const readConcurrency = 16;

/**
 * The transcripts of the first `limit` candidates a consolidation may read, in the candidates' order:
 * a session whose task said `memory: false`, or whose metadata lacks a value the store reads by, is
 * passed over; so is one whose log cannot be read now (logged, and left for the next consolidation).
 */
export async function readTranscripts(
  reader: EventReader,
  candidates: readonly SessionIndexEntry[],
  wanted: { limit: number; metadata: Readonly<Record<string, string>> | undefined; limits: TranscriptLimits },
  logger: Logger,
): Promise<Transcript[]> {
  const transcripts: Transcript[] = [];
  for (let start = 0; start < candidates.length && transcripts.length < wanted.limit; start += readConcurrency) {
    const batch = candidates.slice(start, start + readConcurrency);
    const logs = await Promise.all(batch.map((row) => readLog(reader, row.sessionId, logger)));
    for (const events of logs) {
      const created = events?.[0];
      if (created?.type !== 'session.created' || transcripts.length >= wanted.limit) continue;
      const excluded = exclusionOf(created.data, wanted.metadata);
      if (excluded !== undefined) logger.debug({ sessionId: created.sessionId, excluded }, 'not read');
      else transcripts.push(renderTranscript(events ?? [], wanted.limits));
    }
  }
  return transcripts;
}

async function readLog(reader: EventReader, sessionId: string, logger: Logger): Promise<SessionEvent[] | undefined> {
  try {
    return await reader.read(sessionId);
  } catch (error) {
    logger.warn({ err: error, sessionId }, 'could not read a session log; the next consolidation tries it again');
    return undefined;
  }
}
