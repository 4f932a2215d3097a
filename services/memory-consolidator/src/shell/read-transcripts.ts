import type { SessionEvent, SessionIndexEntry } from '@signalbox/events';
import type { Logger } from '@signalbox/runtime';
import type { EventReader } from '@signalbox/store';
import { exclusionOf } from '../core/session-selection.ts';
import { renderTranscript, type Transcript, type TranscriptLimits } from '../core/transcript.ts';

/**
 * Logs read at once: as many as a consolidation may read (100). A read is a few round trips (the head,
 * then pages of a batched direct get), so reading is latency-bound; measured with 100 transcripts of 50
 * steps (test/bench/dream.ts), a window of 32 took 1.9–2.5x the raw read, of 100 1.8x. A log is held
 * only until its transcript is rendered.
 */
const readWindow = 100;

/**
 * The transcripts of the first `limit` candidates a consolidation may read, in the candidates' order:
 * a session whose task said `memory: false`, or whose metadata lacks a value the store reads by, is
 * passed over; so is one whose log cannot be read now (logged, and left for the next consolidation).
 * Reads go ahead of the one awaited by up to the window, so at most that many are read and not used.
 */
export async function readTranscripts(
  reader: EventReader,
  candidates: readonly SessionIndexEntry[],
  wanted: { limit: number; metadata: Readonly<Record<string, string>> | undefined; limits: TranscriptLimits },
  logger: Logger,
): Promise<Transcript[]> {
  const reading: Promise<Transcript | undefined>[] = [];
  const readNext = () => {
    const row = candidates[reading.length];
    if (row) reading.push(readLog(reader, row.sessionId, logger).then((events) => transcriptOf(events, wanted, logger)));
  };
  for (let started = 0; started < readWindow; started++) readNext();
  const transcripts: Transcript[] = [];
  for (let index = 0; index < reading.length && transcripts.length < wanted.limit; index++) {
    const transcript = await reading[index];
    if (transcript) transcripts.push(transcript);
    if (transcripts.length < wanted.limit) readNext();
  }
  // Reads started ahead and not needed: let them end before the caller goes on (a stopping service closes the connection).
  await Promise.allSettled(reading);
  return transcripts;
}

function transcriptOf(events: readonly SessionEvent[] | undefined, wanted: { metadata: Readonly<Record<string, string>> | undefined; limits: TranscriptLimits }, logger: Logger): Transcript | undefined {
  const created = events?.[0];
  if (created?.type !== 'session.created') return undefined;
  const excluded = exclusionOf(created.data, wanted.metadata);
  if (excluded === undefined) return renderTranscript(events ?? [], wanted.limits);
  logger.debug({ sessionId: created.sessionId, excluded }, 'not read');
  return undefined;
}

async function readLog(reader: EventReader, sessionId: string, logger: Logger): Promise<SessionEvent[] | undefined> {
  try {
    return await reader.read(sessionId);
  } catch (error) {
    logger.warn({ err: error, sessionId }, 'could not read a session log; the next consolidation tries it again');
    return undefined;
  }
}
