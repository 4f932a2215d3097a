/** The JSON value a text holds: the whole text, or inside a code fence, or its outermost object. */
export function jsonIn(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  const fenced = /^\s*```[a-zA-Z]*[ \t]*\r?\n([\s\S]*?)\r?\n?```\s*$/.exec(text);
  const body = fenced?.[1] ?? text;
  const whole = parse(body);
  if (whole.ok) return whole;
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start >= 0 && end > start) {
    const object = parse(body.slice(start, end + 1));
    if (object.ok) return object;
  }
  return whole;
}

function parse(text: string): { ok: true; value: unknown } | { ok: false; problem: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: `not JSON (${error instanceof Error ? error.message.slice(0, 200) : 'does not parse'})` };
  }
}

/**
 * How deep `value` nests (up to `depthLimit` + 1) and its longest array, found without recursion, so
 * a hostile depth cannot overflow the stack.
 */
export function shapeOf(value: unknown, depthLimit: number): { depth: number; longestArray: number } {
  let depth = 0;
  let longestArray = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, level] = stack.pop() as [unknown, number];
    if (item === null || typeof item !== 'object') continue;
    depth = Math.max(depth, level);
    if (depth > depthLimit) break;
    if (Array.isArray(item)) longestArray = Math.max(longestArray, item.length);
    for (const child of Object.values(item)) stack.push([child, level + 1]);
  }
  return { depth, longestArray };
}
