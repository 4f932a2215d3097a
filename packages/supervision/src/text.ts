import { canonicalJson } from '@signalbox/events';

/** Runs of whitespace as one space, ends trimmed: `ls  -la\n` and `ls -la` are one command. */
export function normalisedText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A tool call's identity: its tool and its input as canonical JSON, whitespace in strings normalised. */
export function callKey(tool: string, input: unknown): string {
  return `${tool} ${canonicalJson(withNormalisedStrings(input))}`;
}

function withNormalisedStrings(value: unknown): unknown {
  if (typeof value === 'string') return normalisedText(value);
  if (Array.isArray(value)) return value.map(withNormalisedStrings);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withNormalisedStrings(item)]));
  }
  return value;
}

/**
 * A 64-bit FNV-1a digest (two 32-bit lanes) with the length: enough to tell outputs apart within one
 * session, and pure (node:crypto is I/O-adjacent and not needed for a non-adversarial comparison).
 */
export function digest(text: string): string {
  let low = 0x811c9dc5;
  let high = 0xcbf29ce4;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    low = Math.imul(low ^ code, 0x01000193);
    high = Math.imul(high ^ code ^ (low >>> 13), 0x01000193);
  }
  return `${(high >>> 0).toString(16).padStart(8, '0')}${(low >>> 0).toString(16).padStart(8, '0')}:${text.length}`;
}

/** Whether `name` matches `glob`, where `*` stands for any characters (dots included). */
export function matchesGlob(name: string, glob: string): boolean {
  const pattern = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${pattern}$`).test(name);
}
