/** `text` cut to at most `max` characters, an ellipsis marking a cut: grader reasons never echo megabytes. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** `text` on one line, cut to `max`: for quoting a match or a value inside a reason. */
export function quote(text: string, max = 80): string {
  return JSON.stringify(clip(text.replace(/\s+/g, ' '), max));
}
