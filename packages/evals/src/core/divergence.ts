import { diffSessions } from '@signalbox/session';
import type { EventData, NewEvent, SessionEvent } from '@signalbox/events';
import type { z } from 'zod';
import type { TaskTrajectoriesRecord } from './record.ts';
import type { RunResult } from './run-outcome.ts';

/**
 * Where a successful and a failed run of a task part, described alike across pairs so that the same
 * parting adds up: model turns both had taken before, what each did there, and how many pairs parted so.
 */
export type DivergencePoint = TaskTrajectories['divergences'][number];

/**
 * A task's runs: how many succeeded and failed, the pairs compared (at most the cap given), where the
 * two kinds part (the commonest parting first), and per detector the runs on each side it intervened in.
 */
export type TaskTrajectories = z.infer<typeof TaskTrajectoriesRecord>;

/** A run with its log (as far as it got). */
export interface RunLog {
  run: RunResult;
  events: readonly SessionEvent[];
}

/**
 * For each task, every successful run set against every failed one (up to `maxPairs`), each pair's
 * first divergence as `diffSessions` finds it, counted by what each side did there. Logs are compared
 * from their second event, with the agent's name blanked: `session.created` differs between any two
 * runs of an eval (agent per configuration, tags per repeat), which says nothing about the trajectory.
 */
export function taskTrajectories(logs: readonly RunLog[], maxPairs = 200): TaskTrajectories[] {
  const tasks = [...new Set(logs.map(({ run }) => run.task))];
  return tasks.map((task) => {
    const own = logs.filter(({ run }) => run.task === task);
    const successes = own.filter(({ run }) => run.success);
    const failures = own.filter(({ run }) => !run.success);
    const counted = new Map<string, DivergencePoint>();
    let pairs = 0;
    for (const success of successes) {
      for (const failure of failures) {
        if (pairs >= maxPairs) break;
        pairs += 1;
        const point = partingOf(success.events, failure.events);
        const key = `${point.step}\u0000${point.succeeded}\u0000${point.failed}`;
        counted.set(key, { ...point, pairs: (counted.get(key)?.pairs ?? 0) + 1 });
      }
    }
    const divergences = [...counted.values()].sort((a, b) => b.pairs - a.pairs || a.step - b.step);
    return { task, successes: successes.length, failures: failures.length, pairs, divergences, detectors: detectorsBySide(successes, failures) };
  });
}

function partingOf(success: readonly SessionEvent[], failure: readonly SessionEvent[]): Omit<DivergencePoint, 'pairs'> {
  const { divergence } = diffSessions(anonymised(success).slice(1), anonymised(failure).slice(1));
  if (!divergence) return { step: steps(success, success.length), succeeded: 'the same events', failed: 'the same events' };
  const n = divergence.n + 1;
  return { step: steps(success, n), succeeded: described(divergence.a), failed: described(divergence.b) };
}

/**
 * The log as any run of the same steps would have it: its agent's name blanked (each configuration
 * runs as an agent of its own, whose name the log repeats: a permission's policy, say), its
 * workspace revisions (the installation's sequence numbers, different in every run) numbered in the
 * order the run met them, its model requests' digests and its replies' tokens and cost left out. Two
 * runs must not part on these.
 */
function anonymised(events: readonly SessionEvent[]): SessionEvent[] {
  const created = events[0];
  const name = created?.type === 'session.created' ? created.data.agent.name : undefined;
  const revisions = new Map<number, number>();
  for (const event of events) {
    if (event.type === 'tool.completed' && event.data.workspaceRevision !== undefined && !revisions.has(event.data.workspaceRevision)) revisions.set(event.data.workspaceRevision, revisions.size + 1);
  }
  const ordinal = (revision: string) => String(revisions.get(Number(revision)) ?? revision);
  return events.map((event) => {
    let json = JSON.stringify(event.data);
    if (name) json = json.replaceAll(name, '<agent>');
    json = json.replace(/("workspaceRevision":|revision )(\d+)/g, (_match, before: string, revision: string) => `${before}${ordinal(revision)}`);
    const data = JSON.parse(json) as Record<string, unknown>;
    // A request's digest hashes what the earlier events hold, run-specific numbers and all, and a reply's
    // tokens and cost count them: those events are compared already, and the reply's content is.
    if (event.type === 'model.requested') data['digest'] = '';
    if (event.type === 'model.responded') Object.assign(data, { usage: undefined, costUsd: undefined });
    return { ...event, data } as SessionEvent;
  });
}

const steps = (events: readonly SessionEvent[], before: number) => events.filter((event) => event.n < before && event.type === 'model.responded').length;

/** An event in a few words: its type and what tells it apart (the tool and its input, the detector, the status). */
export function described(event: Pick<SessionEvent, 'type' | 'data'> | undefined): string {
  if (!event) return 'nothing more (its log ends)';
  // A type and its data as the log pairs them: read back as the union that says so.
  const known = event as NewEvent;
  if (known.type === 'tool.requested') return `tool.requested ${known.data.tool} ${clip(JSON.stringify(known.data.input), 60)}`;
  if (known.type === 'supervisor.intervened') return `supervisor.intervened ${known.data.detector}/${known.data.action}`;
  if (known.type === 'supervisor.gated') return `supervisor.gated ${known.data.verdict}${known.data.detector ? ` ${known.data.detector}` : ''}`;
  if (known.type === 'session.completed') return `session.completed ${known.data.status}`;
  if (known.type === 'outcome.graded') return `outcome.graded ${known.data.passed ? 'passed' : 'failed'}`;
  if (known.type === 'model.responded') return `model.responded ${replyOf(known.data.content)}`;
  return known.type;
}

function replyOf(content: EventData<'model.responded'>['content']): string {
  const calls = content.flatMap((block) => (block.type === 'tool_use' ? [block.name] : []));
  if (calls.length > 0) return `calls ${calls.join(', ')}`;
  const text = content.map((block) => (block.type === 'text' ? block.text : '')).join(' ');
  return `says ${clip(JSON.stringify(text), 60)}`;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function detectorsBySide(successes: readonly RunLog[], failures: readonly RunLog[]): TaskTrajectories['detectors'] {
  const fired = (logs: readonly RunLog[], detector: string) => logs.filter(({ run }) => run.interventions.some((intervention) => intervention.detector === detector)).length;
  const detectors = [...new Set([...successes, ...failures].flatMap(({ run }) => run.interventions.map((intervention) => intervention.detector)))].sort();
  return detectors.map((detector) => ({ detector, onSuccesses: fired(successes, detector), onFailures: fired(failures, detector) }));
}
