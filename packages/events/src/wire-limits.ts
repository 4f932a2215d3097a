/**
 * Limits on what a decoder accepts, checked by a linear scan of the bytes before any parser or
 * schema walks them: a value nested thousands deep overflowed the stack of every recursive walk
 * after parsing (schema checks, `holdsProtoKey`), on every redelivery.
 */

/** Containers (arrays, maps, objects) one inside another that input from outside may hold: tasks, commands. */
export const maxInputDepth = 64;
/**
 * Containers one inside another a stored event may hold: what the encoder writes (its limit), so
 * every event written can be read. Input's limit is lower, to leave room for the envelope around it.
 */
export const maxEventDepth = 100;
/** NATS's default `max_payload`: no message the server accepts by default is larger. */
export const maxMessageBytes = 1024 * 1024;

export interface WireLimits {
  maxDepth: number;
  maxBytes: number;
}

export const inputLimits: WireLimits = { maxDepth: maxInputDepth, maxBytes: maxMessageBytes };
/**
 * For what the runtime stored itself (events, snapshots, transcripts): the nesting its encoder
 * allows, at any size (the server held each message to its own limit on the way in, and large
 * values are read back whole from their parts).
 */
export const storedLimits: WireLimits = { maxDepth: maxEventDepth, maxBytes: Number.POSITIVE_INFINITY };

/** What is wrong with `bytes` as msgpack under `limits`, or undefined when they are within them (malformed bytes are the decoder's to report). */
export function msgpackLimitProblem(bytes: Uint8Array, limits: WireLimits): string | undefined {
  if (bytes.length > limits.maxBytes) return tooLarge(bytes.length, limits);
  // Values still to read in each open container, innermost last; one top-level value to begin.
  const open = [1];
  let at = 0;
  while (open.length > 0) {
    const last = open.length - 1;
    if (open[last] === 0) {
      open.pop();
      continue;
    }
    open[last]! -= 1;
    if (at >= bytes.length) return undefined;
    const head = msgpackHead(bytes, at);
    at += head.skip;
    if (head.items > 0) {
      if (open.length > limits.maxDepth) return tooDeep(limits);
      open.push(head.items);
    } else if (head.container && open.length > limits.maxDepth) {
      return tooDeep(limits);
    }
  }
  return undefined;
}

interface Head {
  /** Bytes from the format byte to the next value: header and payload of a scalar, header of a container. */
  skip: number;
  /** Values inside, for a container: two per map entry. */
  items: number;
  container: boolean;
}

// Sizes after the format byte of the fixed-size formats 0xc0-0xdf, and which of them carry a length of 1, 2 or 4 bytes.
const fixedSkip: Record<number, number> = { 0xc0: 0, 0xc2: 0, 0xc3: 0, 0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xd4: 2, 0xd5: 3, 0xd6: 5, 0xd7: 9, 0xd8: 17 };
const lengthBytes: Record<number, [bytes: number, extra: number]> = {
  0xc4: [1, 0], 0xc5: [2, 0], 0xc6: [4, 0], // bin
  0xc7: [1, 1], 0xc8: [2, 1], 0xc9: [4, 1], // ext: a type byte after the length
  0xd9: [1, 0], 0xda: [2, 0], 0xdb: [4, 0], // str
};

function msgpackHead(bytes: Uint8Array, at: number): Head {
  const format = bytes[at]!;
  const scalar = (skip: number): Head => ({ skip, items: 0, container: false });
  const container = (skip: number, items: number): Head => ({ skip, items, container: true });
  if (format <= 0x7f || format >= 0xe0) return scalar(1);
  if (format <= 0x8f) return container(1, 2 * (format & 0x0f));
  if (format <= 0x9f) return container(1, format & 0x0f);
  if (format <= 0xbf) return scalar(1 + (format & 0x1f));
  if (format === 0xdc || format === 0xdd) {
    const size = format === 0xdc ? 2 : 4;
    return container(1 + size, readLength(bytes, at + 1, size));
  }
  if (format === 0xde || format === 0xdf) {
    const size = format === 0xde ? 2 : 4;
    return container(1 + size, 2 * readLength(bytes, at + 1, size));
  }
  const sized = lengthBytes[format];
  if (sized) return scalar(1 + sized[0] + sized[1] + readLength(bytes, at + 1, sized[0]));
  // 0xc1 is never used: one byte, and the decoder refuses it.
  return scalar(1 + (fixedSkip[format] ?? 0));
}

function readLength(bytes: Uint8Array, at: number, size: number): number {
  let length = 0;
  for (let i = 0; i < size; i++) length = length * 256 + (bytes[at + i] ?? 0);
  return length;
}

/** What is wrong with `text` as JSON under `limits`, or undefined when it is within them (malformed text is the parser's to report). */
export function jsonLimitProblem(text: string, limits: WireLimits, byteLength = new TextEncoder().encode(text).length): string | undefined {
  if (byteLength > limits.maxBytes) return tooLarge(byteLength, limits);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++; // a backslash escapes the next character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      if (++depth > limits.maxDepth) return tooDeep(limits);
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  return undefined;
}

/**
 * What is wrong with a value already in memory (a provider's parsed reply) as something to record
 * under `maxDepth`, or undefined when it is within it. Walks with its own stack, never recursion.
 */
export function valueDepthProblem(value: unknown, maxDepth: number): string | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, depth] = next;
    if (typeof current !== 'object' || current === null || ArrayBuffer.isView(current)) continue;
    if (depth + 1 > maxDepth) return `nested more than ${maxDepth} deep`;
    for (const inner of Object.values(current)) pending.push([inner, depth + 1]);
  }
  return undefined;
}

function tooLarge(bytes: number, limits: WireLimits): string {
  return `${bytes} bytes is more than the limit of ${limits.maxBytes}`;
}

function tooDeep(limits: WireLimits): string {
  return `nested more than ${limits.maxDepth} deep`;
}
