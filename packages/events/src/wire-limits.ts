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
    const format = bytes[at]!;
    // Runs for every value of everything decoded (a snapshot holds thousands of numbers): no allocation on the way.
    const fixed = fixedScalarBytes[format]!;
    if (fixed !== 0) {
      at += fixed;
      continue;
    }
    const items = containerItems(bytes, at, format);
    if (items < 0) {
      at += sizedScalarBytes(bytes, at, format);
      continue;
    }
    if (open.length > limits.maxDepth) return tooDeep(limits);
    at += containerHeaderBytes(format);
    if (items > 0) open.push(items);
  }
  return undefined;
}

/**
 * Bytes of each scalar whose format byte alone gives its size (fixints, fixstr, nil, booleans, numbers,
 * fixext), by format byte; 0 for the rest (containers, and strings, binaries and exts with a length).
 * 0xc1 is never used: one byte, and the decoder refuses it.
 */
const fixedScalarBytes = ((): Uint8Array => {
  const bytes = new Uint8Array(256);
  for (let format = 0x00; format <= 0x7f; format++) bytes[format] = 1;
  for (let format = 0xa0; format <= 0xbf; format++) bytes[format] = 1 + (format & 0x1f);
  for (let format = 0xe0; format <= 0xff; format++) bytes[format] = 1;
  const payloads: [format: number, payload: number][] = [
    [0xc0, 0], [0xc1, 0], [0xc2, 0], [0xc3, 0], [0xca, 4], [0xcb, 8], [0xcc, 1], [0xcd, 2], [0xce, 4], [0xcf, 8],
    [0xd0, 1], [0xd1, 2], [0xd2, 4], [0xd3, 8], [0xd4, 2], [0xd5, 3], [0xd6, 5], [0xd7, 9], [0xd8, 17],
  ];
  for (const [format, payload] of payloads) bytes[format] = 1 + payload;
  return bytes;
})();

/** Values inside the container at `at` (two per map entry), or -1 when `format` is no container's. */
function containerItems(bytes: Uint8Array, at: number, format: number): number {
  if (format >= 0x80 && format <= 0x8f) return 2 * (format & 0x0f);
  if (format >= 0x90 && format <= 0x9f) return format & 0x0f;
  if (format === 0xdc) return readLength(bytes, at + 1, 2);
  if (format === 0xdd) return readLength(bytes, at + 1, 4);
  if (format === 0xde) return 2 * readLength(bytes, at + 1, 2);
  if (format === 0xdf) return 2 * readLength(bytes, at + 1, 4);
  return -1;
}

/** Bytes of a container's header: its format byte and, for array 16/32 and map 16/32, its count. */
function containerHeaderBytes(format: number): number {
  if (format === 0xdc || format === 0xde) return 3;
  if (format === 0xdd || format === 0xdf) return 5;
  return 1;
}

/** Bytes of a string, binary or ext with a length (str 8/16/32, bin 8/16/32, ext 8/16/32: a type byte after the length), header included. */
function sizedScalarBytes(bytes: Uint8Array, at: number, format: number): number {
  switch (format) {
    case 0xc4:
    case 0xd9:
      return 2 + readLength(bytes, at + 1, 1);
    case 0xc5:
    case 0xda:
      return 3 + readLength(bytes, at + 1, 2);
    case 0xc6:
    case 0xdb:
      return 5 + readLength(bytes, at + 1, 4);
    case 0xc7:
      return 3 + readLength(bytes, at + 1, 1);
    case 0xc8:
      return 4 + readLength(bytes, at + 1, 2);
    default:
      // 0xc9, the only format left: every other one has a fixed size or is a container.
      return 6 + readLength(bytes, at + 1, 4);
  }
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
