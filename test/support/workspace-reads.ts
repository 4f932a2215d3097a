/**
 * What a `workspace.read` of `path` returns when the file holds `text`: a first line naming the file's
 * revision (a stream sequence, which differs from run to run), then the text itself.
 */
export function readOutputOf(path: string, text: string): RegExp {
  return new RegExp(`^\\[revision \\d+ of ${escaped(path)}; the file's text starts on the next line\\]\\n${escaped(text)}$`);
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
