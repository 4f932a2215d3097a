import type { Service, ServiceContext } from '@signalbox/runtime';
import { SessionDeleter, type DeletionHook } from '@signalbox/store';
import { sweep } from './core/expired-sessions.ts';
import { readRetentionRules } from './shell/retention-rules.ts';

export interface RetentionSweeperOptions {
  /** How often to look for expired sessions (each sweep reads the sessions index and each session's first event). */
  sweepEveryMs?: number;
  /** Other stores' deletion hooks (a memory store's), run after the built-in ones. */
  hooks?: readonly DeletionHook[];
  clock?: () => number;
}

/**
 * Deletes completed sessions once their agent's `retention` (else `SIGNALBOX_RETENTION`) has passed,
 * everywhere, as `signalbox sessions delete` does. Replicas may sweep the same sessions at once:
 * every step of a deletion is a purge, so the second finds nothing left to do.
 */
export function retentionSweeperService(options: RetentionSweeperOptions = {}): Service {
  const clock = options.clock ?? Date.now;
  return {
    name: 'retention-sweeper',
    start: async (context) => {
      const deleter = await SessionDeleter.open(context.nc, context.names, options.hooks);
      let sweeping: Promise<void> | undefined;
      const run = () => {
        sweeping ??= sweepOnce(context, deleter, clock())
          .catch((error: unknown) => context.logger.warn({ err: error }, 'retention sweep failed; will try again'))
          .finally(() => (sweeping = undefined));
      };
      run();
      const timer = setInterval(run, options.sweepEveryMs ?? 600_000);
      return {
        stop: async () => {
          clearInterval(timer);
          await sweeping;
        },
      };
    },
  };
}

async function sweepOnce(context: ServiceContext, deleter: SessionDeleter, now: number): Promise<void> {
  const rules = await readRetentionRules(context.nc, context.names, context.config.retention, context.logger);
  if (rules.byAgent.size === 0 && rules.installation === undefined) return;
  const { deletions, held } = sweep(await deleter.facts(), rules, now);
  for (const { sessionId, by } of held) context.logger.debug({ sessionId, by }, 'expired, but kept while its forks or subagents are');
  if (deletions.length === 0) return;
  const report = await deleter.execute(deletions);
  for (const failure of report.failed) context.logger.warn(failure, 'could not delete an expired session; the next sweep tries again');
  context.logger.info({ deleted: report.deleted.length, failed: report.failed.length }, 'retention sweep');
}
