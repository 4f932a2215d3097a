/**
 * Bounds on a JSON Schema that is shown to a model (a structured-output format, an MCP tool's input).
 * A real schema is a few hundred bytes and a handful of levels deep; anything near these bounds is a
 * bug or hostile input, and the provider would bill for it (the schema is prompt tokens) or refuse it.
 */
export const maxSchemaBytes = 64 * 1024;
/** JSON nesting: `{}` is one level, so each nested object schema (`properties` → schema) takes two. */
export const maxSchemaDepth = 32;

/**
 * Depth-first over the schema without recursion, stopping as soon as it is too deep (a cycle is
 * infinitely deep) or has more values than `maxSchemaBytes`: every JSON value takes at least one
 * byte, so that many cannot fit, and the walk never holds or visits more than that many. Run it
 * before anything recursive (zod, JSON.stringify, a validator) touches an untrusted schema.
 */
export function schemaBoundsProblem(schema: unknown): 'too_deep' | 'too_big' | undefined {
  const stack: [unknown, number][] = [[schema, 1]];
  let values = 1;
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxSchemaDepth) return 'too_deep';
    for (const child of Object.values(value)) {
      values += 1;
      if (values > maxSchemaBytes) return 'too_big';
      stack.push([child, depth + 1]);
    }
  }
  return undefined;
}
