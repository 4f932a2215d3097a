/**
 * JSON with object keys in one fixed order, so equal values always hash alike. Digests of recorded runs
 * depend on it byte for byte. The order is the one JavaScript gives an object built with sorted keys:
 * keys that are array indices first, in numeric order, then the rest sorted by UTF-16 code units.
 */
export function canonicalJson(value: unknown): string {
  const json = jsonOf(value);
  if (json === undefined) throw new TypeError(`${typeof value} has no JSON form`);
  return json;
}

/**
 * A value's canonical JSON, computed once: `canonicalJson` writes it as it is wherever it stands, so a
 * large part that rarely changes (a session's tool definitions) need not be walked again each time
 * the whole it is part of is written. The same bytes as the value itself would give.
 */
export class CanonicalPart {
  readonly json: string;
  constructor(value: unknown) {
    this.json = canonicalJson(value);
  }
}

/** As JSON.stringify writes `value`: undefined where it would leave the value out. */
function jsonOf(value: unknown): string | undefined {
  // Undefined for undefined, functions and symbols, whatever JSON.stringify's declared type says.
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof CanonicalPart) return value.json;
  const { toJSON } = value as { toJSON?: unknown };
  if (typeof toJSON === 'function') return jsonOf((toJSON as () => unknown).call(value));
  if (Array.isArray(value)) {
    let items = '';
    for (let index = 0; index < value.length; index += 1) items += `${index === 0 ? '' : ','}${jsonOf(value[index]) ?? 'null'}`;
    return `[${items}]`;
  }
  let fields = '';
  for (const key of canonicalKeys(value)) {
    const json = jsonOf((value as Record<string, unknown>)[key]);
    if (json !== undefined) fields += `${fields === '' ? '' : ','}${JSON.stringify(key)}:${json}`;
  }
  return `{${fields}}`;
}

/** Object.keys lists array-index keys first, in numeric order, then the others as inserted: sort only those. */
function canonicalKeys(value: object): string[] {
  const keys = Object.keys(value);
  let indices = 0;
  while (indices < keys.length && isArrayIndex(keys[indices] as string)) indices += 1;
  return indices === 0 ? keys.sort() : [...keys.slice(0, indices), ...keys.slice(indices).sort()];
}

const maxArrayIndex = 2 ** 32 - 2;

function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  // Most keys are words: one comparison settles them.
  if (!(first >= 48 && first <= 57)) return false;
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) <= maxArrayIndex;
}
