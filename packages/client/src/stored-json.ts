/** A stored value's JSON, or undefined when it is none: one unreadable row must not hide the others. */
export function jsonOrUndefined(entry: { json(): unknown }): unknown {
  try {
    return entry.json();
  } catch {
    return undefined;
  }
}
