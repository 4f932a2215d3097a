import { describe, expect, it } from 'vitest';
import { offeredTools } from './offered-tools.ts';

const tools = ['workspace.read', 'workspace.write', 'http.fetch', 'shell.exec'].map((name) => ({ name }));
const names = (result: { offered: { name: string }[] }) => result.offered.map((tool) => tool.name);

describe('offeredTools', () => {
  it('offers every tool unless told which', () => {
    expect(offeredTools(tools, undefined)).toEqual({ offered: tools, unmatched: [] });
  });

  it('offers the tools named, and those under a prefix', () => {
    expect(names(offeredTools(tools, ['shell.exec']))).toEqual(['shell.exec']);
    expect(names(offeredTools(tools, ['workspace.*', 'http.fetch']))).toEqual(['workspace.read', 'workspace.write', 'http.fetch']);
  });

  it('takes a prefix as whole words: "work.*" is not "workspace.read"', () => {
    expect(offeredTools(tools, ['work.*', 'shell'])).toEqual({ offered: [], unmatched: ['work.*', 'shell'] });
  });
});
