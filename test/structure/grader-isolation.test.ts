import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The grader grades an output against a rubric and must never see the conversation behind it: the
 * lint configuration forbids services/grader every reader of a session's log, and its code holds none.
 */
/** What reads a session's log, by the package that exports it: none of it may be imported by the grader. */
const graderLogReaders: Record<string, string[]> = {
  '@signalbox/store': ['openEventReader', 'EventReader', 'EventStore', 'liveWorkspaceView', 'workspaceViewAt', 'TranscriptStore', 'SnapshotStore'],
  '@signalbox/runtime': ['startEventSubscriber', 'partitionDurable'],
};
const root = fileURLToPath(new URL('../../', import.meta.url));
const graderFile = join(root, 'services/grader/src/shell/any.ts');

async function graderRules(): Promise<Partial<Linter.RulesRecord>> {
  const config = (await new ESLint({ cwd: root }).calculateConfigForFile(graderFile)) as Linter.Config;
  return config.rules ?? {};
}

/** `code` linted with the rules the configuration gives a file of the grader's shell. */
async function problemsIn(code: string): Promise<string[]> {
  const rules = await graderRules();
  const linter = new Linter({ configType: 'flat' });
  const picked: Linter.RulesRecord = {};
  for (const rule of ['no-restricted-imports', 'no-restricted-syntax']) {
    const setting = rules[rule];
    if (setting) picked[rule] = setting;
  }
  const config: Linter.Config[] = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules: picked }];
  return linter.verify(code, config, 'services/grader/src/shell/any.ts').map((message) => message.ruleId ?? message.message);
}

describe('the grader cannot read the transcript', () => {
  it.each(Object.entries(graderLogReaders).flatMap(([module, names]) => names.map((name) => [module, name])))('lint refuses importing %s { %s } in services/grader', async (module, name) => {
    expect(new Set(await problemsIn(`import { ${name} } from '${module}';\nvoid ${name};\n`))).toEqual(new Set(['no-restricted-imports']));
  });

  it('lint refuses the client, and ServiceContext.store, in services/grader', async () => {
    expect(await problemsIn("import { SignalboxClient } from '@signalbox/client';\nvoid SignalboxClient;\n")).toEqual(['no-restricted-imports']);
    expect(await problemsIn('export const read = (context: { store: unknown }) => context.store;\n')).toEqual(['no-restricted-syntax']);
    expect(await problemsIn('export const read = ({ store }: { store: unknown }) => store;\n')).toEqual(['no-restricted-syntax']);
  });

  it('lint lets it read the workspace, and covers the log readers the store exports', async () => {
    expect(await problemsIn("import { WorkspaceFiles } from '@signalbox/store';\nvoid WorkspaceFiles;\n")).toEqual([]);
    const storeIndex = readFileSync(join(root, 'packages/store/src/index.ts'), 'utf8');
    for (const name of ['openEventReader', 'EventReader', 'EventStore', 'liveWorkspaceView', 'workspaceViewAt']) expect(storeIndex).toContain(name);
    expect(graderLogReaders['@signalbox/runtime']).toContain('startEventSubscriber');
  });

  it('has no source file in services/grader that names a log reader', () => {
    const sources = readdirSync(join(root, 'services/grader/src'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    expect(sources.length).toBeGreaterThan(5);
    const names = Object.values(graderLogReaders).flat();
    for (const file of sources) {
      const text = readFileSync(join(root, 'services/grader/src', file), 'utf8');
      const imports = [...text.matchAll(/import[^;]*?from '([^']+)'/g)].filter((match) => match[1] === '@signalbox/store' || match[1] === '@signalbox/runtime').map((match) => match[0]);
      for (const name of names) expect(imports.join('\n'), `${file} imports ${name}`).not.toMatch(new RegExp(`\\b${name}\\b`));
    }
  });
});
