import type { DeletionOutcome, SignalboxClient } from '@signalbox/client';
import { refusalText, type SessionDeletion } from '@signalbox/store';
import { z } from 'zod';
import { withClient, type GlobalOptions } from './connection.ts';

export interface DeleteFlags {
  cascade?: boolean;
  where?: string[];
  yes?: boolean;
}

/** A `--where` pair: a metadata key (as tasks may set them) and the value it must hold. */
const WherePair = z.string().regex(/^[A-Za-z0-9_.-]{1,64}=.{1,1000}$/s, 'a --where filter is key=value (key: letters, digits, "_", "-", "."; value: 1 to 1000 characters)');

/** The `--where` flags as one filter; a key given twice is refused rather than one silently winning. */
export function whereFilter(pairs: readonly string[]): Record<string, string> {
  const filter = new Map<string, string>();
  for (const pair of pairs) {
    const parsed = WherePair.safeParse(pair);
    if (!parsed.success) throw new Error(`"${pair}": ${parsed.error.issues[0]?.message ?? 'not key=value'}`);
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    if (filter.has(key)) throw new Error(`--where names ${key} twice`);
    filter.set(key, pair.slice(at + 1));
  }
  // fromEntries defines each key as data: a key such as __proto__ stays a key, not the object's prototype.
  return Object.fromEntries(filter);
}

/**
 * `sessions delete <id...> [--where key=value ...] [--cascade] [--yes]`: deletes completed sessions
 * everywhere. Sessions chosen by a filter are listed, and deleted only with `--yes`; a refusal
 * (forks or subagents without `--cascade`, a session still running, an id that is none) deletes
 * nothing and exits 1, as does a deletion a store's hook failed (run it again to finish).
 */
export async function deleteSessionsCommand(options: GlobalOptions, sessionIds: readonly string[], flags: DeleteFlags): Promise<void> {
  const filter = whereFilter(flags.where ?? []);
  const filtered = Object.keys(filter).length > 0;
  if (sessionIds.length === 0 && !filtered) throw new Error('name the sessions to delete, or choose them with --where key=value');
  await withClient(options, async (client) => {
    const chosen = [...new Set([...sessionIds, ...(filtered ? await client.sessionsWhere(filter) : [])])];
    if (chosen.length === 0) return say(options, { deleted: [] }, 'no session matches; nothing deleted');
    if (filtered && !flags.yes) return listWithoutDeleting(options, client, chosen, flags.cascade ?? false);
    report(options, await client.deleteSessions(chosen, { cascade: flags.cascade ?? false }));
  }, 'must-exist');
}

/** A filter chooses sessions unseen: it lists what it would delete and stops until asked again with --yes. */
async function listWithoutDeleting(options: GlobalOptions, client: SignalboxClient, chosen: string[], cascade: boolean): Promise<void> {
  const plan = await client.planDeletion(chosen, { cascade });
  process.exitCode = 1;
  if (plan.kind === 'refused') return report(options, plan);
  if (options.json) return console.log(JSON.stringify({ wouldDelete: plan.sessions, deleted: [] }, null, 2));
  for (const session of plan.sessions) console.log(`would delete ${describe(session)}`);
  console.error(`nothing deleted: ${plan.sessions.length} session(s) match; add --yes to delete them`);
}

function report(options: GlobalOptions, outcome: DeletionOutcome): void {
  if (outcome.kind === 'refused') {
    process.exitCode = 1;
    if (options.json) return console.log(JSON.stringify({ refused: outcome.refusals, deleted: [] }, null, 2));
    for (const refusal of outcome.refusals) console.error(`refused: ${refusalText(refusal)}`);
    return console.error('nothing deleted');
  }
  const { deleted, failed } = outcome.report;
  if (failed.length > 0) process.exitCode = 1;
  if (options.json) return console.log(JSON.stringify({ deleted, failed }, null, 2));
  for (const session of outcome.sessions.filter(({ sessionId }) => deleted.includes(sessionId))) console.log(`deleted ${describe(session)}`);
  for (const failure of failed) console.error(`not deleted: ${failure.sessionId}: the ${failure.hook} store failed: ${failure.error} (run the delete again to finish)`);
}

function describe({ sessionId, root, deletesWorkspace }: SessionDeletion): string {
  if (deletesWorkspace) return `${sessionId} (with its workspace)`;
  return sessionId === root ? sessionId : `${sessionId} (a subagent of run ${root}, whose workspace stays)`;
}

function say(options: GlobalOptions, data: unknown, text: string): void {
  console.log(options.json ? JSON.stringify(data) : text);
}
