/** Where a message of a session's log lies: its stream sequence and the number of its first event. */
export interface LogPosition {
  seq: number;
  n: number;
}

/**
 * The last message of a session's log whose first event is at or before `n`, by bisecting the stream
 * sequences from `lowSeq` to `highSeq`; `probe(seq)` answers the session's first message at or after
 * `seq` (undefined past its last). About log2(highSeq - lowSeq) probes however long the log, where
 * reading up to event `n` costs every event before it. Undefined when no message starts at or before `n`.
 */
export async function seekEvent(n: number, lowSeq: number, highSeq: number, probe: (seq: number) => Promise<LogPosition | undefined>): Promise<LogPosition | undefined> {
  let found: LogPosition | undefined;
  let low = lowSeq;
  let high = highSeq;
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    const at = await probe(mid);
    if (at !== undefined && at.seq <= high && at.n <= n) {
      found = at;
      low = at.seq + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}
