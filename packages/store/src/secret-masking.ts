/** What stands where a secret's value was: in a tool's output, error or workspace write, or a provider's reply or error. */
export function secretMark(name: string): string {
  return `[secret:${name}]`;
}

/** Runs of base64 (standard or URL-safe, possibly percent-encoded) long enough to hold something. */
const base64Run = /(?:[A-Za-z0-9_-]|\+|\/|%2[BbFf]){8,}(?:=|%3[Dd]){0,2}/g;

/**
 * `text` with every value of `secrets` (by name) replaced by `[secret:NAME]`: as it is, URL-encoded,
 * as a JSON string holds it, in base64 (standard and URL-safe, with or without padding), and inside
 * a longer run of base64 (a Basic credential, `user:value`). Longer values first, so a value inside
 * another is not half-masked.
 */
export function maskSecrets(text: string, secrets: ReadonlyMap<string, string>): string {
  const byLength = [...secrets].filter(([, value]) => value.length > 0).sort(([, a], [, b]) => b.length - a.length);
  let masked = text;
  for (const [name, value] of byLength) {
    for (const form of formsOf(value)) masked = masked.replaceAll(form, secretMark(name));
  }
  return masked.replace(base64Run, (run) => {
    const decoded = decodeBase64(run);
    const found = byLength.find(([, value]) => decoded.includes(value));
    return found === undefined ? run : secretMark(found[0]);
  });
}

/** Whether `text` holds any form of any of `secrets`: what a test asserts is never recorded. */
export function holdsSecret(text: string, secrets: ReadonlyMap<string, string>): boolean {
  return maskSecrets(text, secrets) !== text;
}

function formsOf(value: string): Set<string> {
  const base64 = Buffer.from(value, 'utf8').toString('base64');
  const unpadded = base64.replace(/=+$/, '');
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1), base64, unpadded, Buffer.from(value, 'utf8').toString('base64url'), encodeURIComponent(base64)];
  return new Set(forms.filter((form) => form.length > 0));
}

function decodeBase64(run: string): string {
  const plain = run.replace(/%2[Bb]/g, '+').replace(/%2[Ff]/g, '/').replace(/%3[Dd]/g, '=');
  return Buffer.from(plain.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
}
