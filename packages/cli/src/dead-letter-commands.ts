import type { DeadLetter } from '@signalbox/client';
import { withClient, type GlobalOptions } from './connection.ts';
import { wholeNumberFlag } from './flags.ts';

export interface DeadLetterFlags {
  limit: string;
}

/** Characters of a dead letter's body shown in the listing; `--json` has it whole. */
const previewLength = 80;

export async function listDeadLetters(options: GlobalOptions, flags: DeadLetterFlags): Promise<void> {
  const limit = wholeNumberFlag('--limit', flags.limit);
  await withClient(options, async (client) => {
    const letters = await client.deadLetters(limit);
    if (options.json) return console.log(JSON.stringify(letters.map(forJson), null, 2));
    if (letters.length === 0) return console.log('no dead letters');
    for (const letter of letters) {
      const when = new Date(letter.at).toISOString().replace('T', ' ').slice(0, 19);
      console.log(`${String(letter.seq).padStart(6)}  ${when}  ${letter.from}  (${letter.deliveries} deliveries)\n        ${letter.reason}\n        ${preview(letter)}`);
    }
  }, 'must-exist');
}

export async function redriveDeadLetters(options: GlobalOptions, seqs: string[]): Promise<void> {
  // Every number is checked before the first is re-driven.
  const numbers = seqs.map((text) => sequenceNumber(text));
  await withClient(options, async (client) => {
    for (const seq of numbers) {
      const to = await client.redrive(seq);
      console.log(options.json ? JSON.stringify({ seq, to }) : `re-drove ${seq} to ${to}`);
    }
  }, 'must-exist');
}

function sequenceNumber(text: string): number {
  const seq = Number(text);
  if (!Number.isInteger(seq) || seq < 1) throw new Error(`a dead letter is named by its sequence number (1, 2, ...), as \`signalbox dlq\` prints it; got ${JSON.stringify(text)}`);
  return seq;
}

/** The body as text when it is text (a JSON task), else its size. */
function preview(letter: DeadLetter): string {
  if (letter.object !== undefined) return `(too large to copy: kept in the dead-letters object store as ${letter.object})`;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(letter.data.subarray(0, previewLength * 4));
  // eslint-disable-next-line no-control-regex -- binary bodies (msgpack) show as their size
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return `(${letter.data.length} bytes, not text)`;
  return text.length > previewLength ? `${text.slice(0, previewLength)}…` : text;
}

function forJson(letter: DeadLetter) {
  return { ...letter, at: new Date(letter.at).toISOString(), data: Buffer.from(letter.data).toString('base64') };
}
