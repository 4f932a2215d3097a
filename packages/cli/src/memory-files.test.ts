import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseMemoryStoreFile } from './memory-files.ts';

const team = 'name: team\nagents: [coder, reviewer]\npromotion: auto\nconsolidation:\n  model: ollama/llama3\n  everyMs: 3600000\n';

describe('parseMemoryStoreFile', () => {
  it('reads one store or several, with defaults filled in', () => {
    expect(parseMemoryStoreFile('m.yaml', team)).toEqual({
      ok: true,
      stores: [{ name: 'team', agents: ['coder', 'reviewer'], promotion: 'auto', consolidation: { model: 'ollama/llama3', everyMs: 3_600_000, sessions: 100, reads: {}, requireLocalProvider: false } }],
    });
    const several = parseMemoryStoreFile('m.yaml', `${team}---\nname: solo\nagents: [coder]\n`);
    expect(several.ok && several.stores.map(({ name, promotion }) => [name, promotion])).toEqual([['team', 'auto'], ['solo', 'review']]);
    expect(parseMemoryStoreFile('m.json', JSON.stringify({ name: 'j', agents: ['a'] }))).toMatchObject({ ok: true, stores: [{ name: 'j' }] });
  });

  it('reads the example store in deploy/memory', () => {
    const file = new URL('../../../deploy/memory/support.yaml', import.meta.url);
    expect(parseMemoryStoreFile('support.yaml', readFileSync(file, 'utf8'))).toMatchObject({ ok: true, stores: [{ name: 'support', promotion: 'review' }] });
  });

  it('gives each problem a line with the file, line and column of the field', () => {
    const text = 'name: Team.A\nagents: []\npromotion: sometimes\nconsolidation:\n  model: ollama/llama3\n  everyMs: 10\n';
    expect(parseMemoryStoreFile('stores/m.yaml', text)).toEqual({
      ok: false,
      problems: [
        'stores/m.yaml:1:7: name: a memory store name is lower-case letters, digits, "-" and "_", starting with a letter or digit',
        'stores/m.yaml:2:9: agents: must be at least 1 items',
        'stores/m.yaml:3:12: promotion: Invalid option: expected one of "auto"|"review"',
        'stores/m.yaml:6:12: consolidation.everyMs: must be at least 60000',
      ],
    });
    expect(parseMemoryStoreFile('m.yaml', `${team}---\nname: other\nagents: [a]\ncolour: blue\n`)).toEqual({ ok: false, problems: ['m.yaml:10:1: memory store "other": colour: unknown field'] });
  });
});
