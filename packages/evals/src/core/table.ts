/** Rows of cells as a plain-text table: columns padded to their widest cell, the first left-aligned, the rest right-aligned. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export const percent = (value: number): string => `${(value * 100).toFixed(0)}%`;
export const dollars = (value: number): string => `$${value.toFixed(4)}`;
export const seconds = (ms: number): string => `${(ms / 1_000).toFixed(2)}s`;
