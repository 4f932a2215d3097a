/**
 * Whether a JSON Schema already meets OpenAI's strict structured-output rules, so it can be sent
 * with `strict: true` as it is. The schema is never rewritten to fit (adding `additionalProperties:
 * false` or making optional fields required would change what the caller asked for); one that does
 * not fit goes with `strict: false`, which OpenAI takes as guidance rather than a guarantee, and the
 * caller validates the reply either way. Sending `strict: true` with a schema that breaks the rules
 * would only get the request refused with a 400.
 *
 * The rules checked: the root is an object schema; every object schema has `additionalProperties:
 * false` and lists every property in `required`; subschemas appear only where strict mode reads
 * them (`properties`, `items`, `prefixItems`, `anyOf`, `$defs`, `definitions`). Keywords strict mode
 * refuses (`allOf`, `oneOf`, `not`, `if`/`then`/`else`, `patternProperties`, ...) make it not strict.
 * When unsure, it says no: strict is a guarantee worth having, not one worth a refused call.
 */
export function fitsStrictMode(schema: Record<string, unknown>): boolean {
  return isObjectSchema(schema) && fits(schema);
}

const refusedKeywords = [
  'allOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
  'unevaluatedItems',
  'propertyNames',
  'contains',
];

/** Recursion is safe: `checkResponseFormat` has already bounded the schema's depth. */
function fits(schema: unknown): boolean {
  if (!isRecord(schema)) return false;
  if (refusedKeywords.some((keyword) => keyword in schema)) return false;
  if (isObjectSchema(schema) && !closedAndAllRequired(schema)) return false;
  const subschemas = [
    ...valuesOf(schema['properties']),
    ...valuesOf(schema['$defs']),
    ...valuesOf(schema['definitions']),
    ...listOf(schema['anyOf']),
    ...listOf(schema['prefixItems']),
    // `items` is one schema, or a list of them in older drafts.
    ...(Array.isArray(schema['items']) ? listOf(schema['items']) : schema['items'] === undefined ? [] : [schema['items']]),
  ];
  return subschemas.every(fits);
}

function isObjectSchema(schema: Record<string, unknown>): boolean {
  const type = schema['type'];
  return type === 'object' || (Array.isArray(type) && type.includes('object')) || 'properties' in schema;
}

function closedAndAllRequired(schema: Record<string, unknown>): boolean {
  if (schema['additionalProperties'] !== false) return false;
  const properties = schema['properties'] ?? {};
  const required = schema['required'] ?? [];
  if (!isRecord(properties) || !Array.isArray(required)) return false;
  return Object.keys(properties).every((name) => required.includes(name));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// A keyword holding the wrong kind of value yields `undefined`, which `fits` rejects: not strict.
function valuesOf(value: unknown): unknown[] {
  return isRecord(value) ? Object.values(value) : value === undefined ? [] : [undefined];
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [undefined];
}
