/**
 * The tools an executor offers, of those it has: every one unless `patterns` are given, else those a
 * pattern names (`shell.exec`) or whose name starts with a pattern's prefix (`workspace.*`). A pattern
 * that matches none of them is returned too: a typo, or a tool this machine cannot run.
 */
export function offeredTools<Tool extends { name: string }>(tools: readonly Tool[], patterns: readonly string[] | undefined): { offered: Tool[]; unmatched: string[] } {
  if (patterns === undefined) return { offered: [...tools], unmatched: [] };
  const matches = (pattern: string, name: string) => (pattern.endsWith('.*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern);
  return {
    offered: tools.filter((tool) => patterns.some((pattern) => matches(pattern, tool.name))),
    unmatched: patterns.filter((pattern) => !tools.some((tool) => matches(pattern, tool.name))),
  };
}
