import type { McpValue } from '@signalbox/runtime';

/** The text a value stands for, with the secret's value put in (from `secrets`, which must hold it). */
export function resolveValue(value: McpValue, secrets: ReadonlyMap<string, string>): string {
  if (typeof value === 'string') return value;
  const secret = secrets.get(value.secret);
  if (secret === undefined) throw new Error(`the secret ${value.secret} was not opened`);
  return value.template === undefined ? secret : value.template.replaceAll('{secret}', secret);
}
