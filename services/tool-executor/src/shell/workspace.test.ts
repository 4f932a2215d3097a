import { describe, expect, it } from 'vitest';
import { WorkspacePath, WorkspacePrefix } from './workspace.ts';

describe('WorkspacePath', () => {
  it.each(['notes.md', 'notes/plan.md', 'a/b/c.d.txt', '.hidden', 'x'.repeat(512)])('accepts %s', (path) => {
    expect(WorkspacePath.safeParse(path).success).toBe(true);
  });

  it.each([
    ['', 'must not be empty'],
    ['/etc/passwd', 'leading "/"'],
    ['../other-run/secrets', '".." segments'],
    ['notes/../../x', '".." segments'],
    ['./notes.md', '".." segments'],
    ['notes//plan.md', 'empty segments'],
    ['notes/', 'empty segments'],
    ['x'.repeat(513), 'at most 512'],
    ['notes\u0000.md', 'NUL or other control characters'],
    ['notes/plan.md\u0000.png', 'NUL or other control characters'],
    ['a\nb', 'NUL or other control characters'],
    ['tab\there', 'NUL or other control characters'],
    ['esc\u001b[31m', 'NUL or other control characters'],
    ['del\u007f', 'NUL or other control characters'],
    ['c1\u0085', 'NUL or other control characters'],
    ['line\u2028sep', 'NUL or other control characters'],
  ])('rejects %j', (path, reason) => {
    const parsed = WorkspacePath.safeParse(path);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.message).join('; ')).toContain(reason);
  });
});

describe('WorkspacePrefix', () => {
  it.each(['', 'notes/', 'no', '.hid'])('accepts %j', (prefix) => {
    expect(WorkspacePrefix.safeParse(prefix).success).toBe(true);
  });

  it.each(['notes\u0000', '\r\n', 'x'.repeat(513)])('rejects %j', (prefix) => {
    expect(WorkspacePrefix.safeParse(prefix).success).toBe(false);
  });
});
