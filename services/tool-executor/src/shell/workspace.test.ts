import { describe, expect, it } from 'vitest';
import { WorkspacePath } from './workspace.ts';

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
  ])('rejects %j', (path, reason) => {
    const parsed = WorkspacePath.safeParse(path);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.message).join('; ')).toContain(reason);
  });
});
