/** `{{secret:NAME}}` in an `http.fetch` header value: filled in by the executor, never seen by the model. */
const placeholder = /\{\{secret:([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

/** The secrets the header values name, each once, in order: what an `http.fetch` call needs opened. */
export function secretsNamedIn(headers: Readonly<Record<string, string>> | undefined): string[] {
  const names = new Set<string>();
  for (const value of Object.values(headers ?? {})) for (const match of value.matchAll(placeholder)) names.add(match[1] ?? '');
  return [...names];
}

/** A filled-in header that would smuggle a second header or request in: the secret's value holds CR, LF or another control character. */
export class UnsendableSecretError extends Error {
  override readonly name = 'UnsendableSecretError';
  readonly code = 'unsendable_secret';
  constructor(header: string) {
    super(`the header ${header}, with its secrets filled in, holds a control character; a secret sent in a header must be one line of text`);
  }
}

/** The headers with every placeholder replaced by its secret's value (one not in `secrets` is left as it is). */
export function fillSecrets(headers: Readonly<Record<string, string>>, secrets: Readonly<Record<string, string>>): Record<string, string> {
  const filled: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const text = value.replace(placeholder, (whole, secret: string) => secrets[secret] ?? whole);
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) throw new UnsendableSecretError(name);
    filled[name] = text;
  }
  return filled;
}
