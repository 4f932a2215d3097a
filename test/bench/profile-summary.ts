/**
 * Where a `.cpuprofile`'s busy time goes: self time by package (or service) and by function, and with
 * `--callers <regex>`, the call stacks that lead to the functions it matches; with `--inclusive <regex>`,
 * the time spent in the functions it matches and everything they call.
 *
 * With `--samples`, each sample counts once instead of by the time since the one before: a sample taken
 * after the thread was off the CPU (a syscall, a wait) carries that whole gap in time, so time shares
 * overstate whatever runs just after one; sample counts do not.
 *
 *   node test/bench/profile-summary.ts <file.cpuprofile> [--top 40] [--callers writeBuffer] [--depth 6] [--inclusive 'session-log|decide'] [--samples]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Profiler } from 'node:inspector';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '40' }, callers: { type: 'string' }, depth: { type: 'string', default: '6' }, inclusive: { type: 'string' }, samples: { type: 'boolean', default: false } } });
const file = positionals[0];
if (!file) throw new Error('usage: node test/bench/profile-summary.ts <file.cpuprofile> [--top N] [--callers REGEX] [--depth N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profiler.Profile;

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parents = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
const selfUs = new Map<number, number>();
const weightOf = (index: number) => (values.samples ? 1 : (profile.timeDeltas?.[index] ?? 0));
profile.samples?.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + weightOf(index)));

const frameOf = (id: number) => nodes.get(id)!.callFrame;
const nameOf = (id: number) => {
  const { functionName, url, lineNumber } = frameOf(id);
  return `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
};
/** A dependency's package name, a workspace package or service, node's own modules, or V8's pseudo-frames. */
const bucketOf = (id: number) => {
  const { functionName, url } = frameOf(id);
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const dependency = /node_modules\/\.pnpm\/(@?[^@/]+(?:\+[^@/]+)?)@/.exec(url)?.[1];
  if (dependency) return dependency.replace('+', '/');
  const workspace = /\/((?:packages|services)\/[^/]+)\//.exec(url)?.[1];
  if (workspace) return workspace;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  return url.includes('/test/') ? 'test' : url;
};

let busyUs = 0;
const byBucket = new Map<string, number>();
const byFunction = new Map<string, number>();
const add = (into: Map<string, number>, key: string, us: number) => into.set(key, (into.get(key) ?? 0) + us);
for (const [id, us] of selfUs) {
  if (frameOf(id).functionName === '(idle)') continue;
  busyUs += us;
  add(byBucket, bucketOf(id), us);
  add(byFunction, nameOf(id), us);
}

const top = Number(values.top);
const print = (title: string, shares: Map<string, number>, count: number) => {
  console.log(`\n${title}`);
  for (const [key, us] of [...shares].sort((a, b) => b[1] - a[1]).slice(0, count)) console.log(`${((100 * us) / busyUs).toFixed(1).padStart(6)}%  ${key}`);
};
console.log(values.samples ? `${file}: ${busyUs} busy samples` : `${file}: ${(busyUs / 1e6).toFixed(2)} s busy`);
print('self time by package', byBucket, 25);
print('self time by function', byFunction, top);

if (values.callers) {
  const matches = new RegExp(values.callers);
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (!matches.test(nameOf(id))) continue;
    const chain: string[] = [];
    for (let at = parents.get(id); at !== undefined && chain.length < Number(values.depth); at = parents.get(at)) chain.push(nameOf(at));
    add(stacks, `${nameOf(id)} < ${chain.join(' < ')}`, us);
  }
  print(`callers of /${values.callers}/`, stacks, top);
}

if (values.inclusive) {
  const matches = new RegExp(values.inclusive);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (frameOf(id).functionName === '(idle)') continue;
    // A recursive function counts once per sample, however deep it nests.
    const counted = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const name = nameOf(at);
      if (!matches.test(name) || counted.has(name)) continue;
      add(inclusive, name, us);
      counted.add(name);
    }
  }
  print(`inclusive time of /${values.inclusive}/`, inclusive, top);
}
