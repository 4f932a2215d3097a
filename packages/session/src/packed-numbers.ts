import { itemsOf, listOf, sizeOf, type AppendOnlyList } from './append-only-list.ts';

/** Whole numbers up to 2^53 take at most 8 bytes of 7 bits each. */
const maxVarintBytes = 8;

/**
 * A list of whole numbers that never decrease (a conversation's `charsBefore` and `assistantAt`) as
 * bytes: each number's step up from the one before, as an unsigned LEB128 varint, most of them one or
 * two bytes. Undefined when a number is not a safe whole number at or above the one before it.
 */
export function packedNumbers(list: AppendOnlyList<number>): Uint8Array | undefined {
  const bytes = new Uint8Array(sizeOf(list) * maxVarintBytes);
  let length = 0;
  let previous = 0;
  for (const value of itemsOf(list)) {
    if (!Number.isSafeInteger(value) || value < previous) return undefined;
    // Arithmetic, not bit operations: steps may pass 2^31.
    for (let step = value - previous; ; step = Math.floor(step / 128)) {
      if (step < 128) {
        bytes[length++] = step;
        break;
      }
      bytes[length++] = (step % 128) + 128;
    }
    previous = value;
  }
  return bytes.slice(0, length);
}

/** The list `packedNumbers` packed; throws on bytes it could not have written (a varint cut short, or past 2^53). */
export function unpackedNumbers(bytes: Uint8Array): AppendOnlyList<number> {
  const values: number[] = [];
  let value = 0;
  for (let at = 0; at < bytes.length; ) {
    let step = 0;
    for (let scale = 1, read = 0; ; scale *= 128, read++) {
      if (at >= bytes.length || read >= maxVarintBytes) throw new Error('packed numbers: a varint is cut short or too long');
      const byte = bytes[at++]!;
      step += (byte % 128) * scale;
      if (byte < 128) break;
    }
    value += step;
    if (!Number.isSafeInteger(value)) throw new Error('packed numbers: a number passes 2^53');
    values.push(value);
  }
  return listOf(values);
}
