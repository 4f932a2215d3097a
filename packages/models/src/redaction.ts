/** What stands where a secret was. */
export const redacted = '[redacted]';

/** Shorter configured "keys" (`ollama`, a placeholder) are not secrets, and would blank out ordinary words. */
const minimumKeyLength = 8;

/** `=`, `:` or `%3A`/`%3D`, with the quotes and spaces (plain or percent-encoded) around them. */
const separator = String.raw`(?:\s|%20|["']|%22|%27)*(?:[:=]|%3[ADad])(?:\s|%20|["']|%22|%27)*`;

/** Credential shapes: provider keys, bearer and basic tokens, and the values of key-naming fields and headers. */
const shapes: readonly [RegExp, string][] = [
  // After a non-word character, or a percent-encoded one (`%20sk-…`).
  [/(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{2}))sk-(?:ant-)?[A-Za-z0-9_-]{4,}/g, redacted],
  [/\b(Bearer|Basic)(\s+|%20|\+)[A-Za-z0-9._~+/=%-]+/gi, `$1$2${redacted}`],
  [new RegExp(String.raw`\b(x-api-key|api[_-]?key|access[_-]?token|authorization)(${separator})(?!Bearer|Basic)[^\s"',;&}]+`, 'gi'), `$1$2${redacted}`],
];

/** Runs of base64 (standard or URL-safe, possibly percent-encoded), long enough to hide a key. */
const base64Run = /(?:[A-Za-z0-9_-]|\+|\/|%2[BbFf]){16,}(?:=|%3[Dd]){0,2}/g;

/**
 * `text` with every credential in it replaced by `[redacted]`: each of `keys` (as given, URL-encoded,
 * and inside base64), and whatever has the shape of one (`sk-…`, `sk-ant-…`, `Bearer …`, `Basic …`,
 * `x-api-key` and `api_key` values), also inside base64 and percent-encoded. For provider error text,
 * which may echo what the request carried, before it is recorded in an event or logged.
 */
export function redactSecrets(text: string, keys: readonly (string | undefined)[] = []): string {
  const secrets = keys.filter((key): key is string => key !== undefined && key.length >= minimumKeyLength);
  let scrubbed = text;
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) scrubbed = scrubbed.replaceAll(form, redacted);
  }
  scrubbed = scrubbed.replace(base64Run, (run) => (holdsSecret(decodeBase64(run), secrets) ? redacted : run));
  for (const [shape, replacement] of shapes) scrubbed = scrubbed.replace(shape, replacement);
  return scrubbed;
}

/** An error like `error`, its message and stack redacted, with no cause: what a provider SDK threw, safe to keep as a `cause`. */
export function redactedError(error: unknown, keys: readonly (string | undefined)[] = []): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(redactSecrets(original.message, keys));
  copy.name = original.name;
  copy.stack = original.stack === undefined ? undefined : redactSecrets(original.stack, keys);
  return copy;
}

function decodeBase64(run: string): string {
  const plain = run.replace(/%2[Bb]/g, '+').replace(/%2[Ff]/g, '/').replace(/%3[Dd]/g, '=');
  return Buffer.from(plain.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
}

function holdsSecret(decoded: string, secrets: readonly string[]): boolean {
  return secrets.some((secret) => decoded.includes(secret)) || shapes.some(([shape]) => new RegExp(shape.source, shape.flags.replace('g', '')).test(decoded));
}
