import { assertNever, canonicalJson, type SessionEvent } from '@signalbox/events';

/** No one event takes much more of the judge's context than this: a huge output is shown by its beginning. */
export const maxEventChars = 2_000;

/** The tag the trajectory is wrapped in: the prompt tells the judge that what is inside is data, not instructions. */
export const trajectoryTag = 'trajectory';

/**
 * A session's events as the judge reads them, one line an event (`#n type: what happened`), cut to
 * `maxChars`: the latest events are kept, since they say where the session is going, and the cut
 * says how many earlier ones were left out. A secret reference (`{{secret:NAME}}`) reads `[secret:NAME]`,
 * never its value (which no event holds: the executor masks what a tool returns), and nothing inside
 * can close the trajectory's tag early.
 */
export function renderTrajectory(events: readonly SessionEvent[], maxChars: number): string {
  const lines: string[] = [];
  let used = 0;
  for (let index = events.length - 1; index >= 0; index -= 1) {
    const line = lineOf(events[index] as SessionEvent);
    if (line === undefined) continue;
    if (used + line.length + 1 > maxChars) {
      lines.push(`(${index + 1} earlier events left out)`);
      break;
    }
    lines.push(line);
    used += line.length + 1;
  }
  return lines.reverse().join('\n');
}

function lineOf(event: SessionEvent): string | undefined {
  const text = describe(event);
  if (text === undefined) return undefined;
  // Cut before masking, so a megabyte of output costs no more than its beginning.
  const shown = text.length <= maxEventChars ? safe(text) : `${safe(text.slice(0, maxEventChars))}… (${text.length} characters)`;
  return `#${event.n} ${event.type}: ${shown}`;
}

/** What an event says, in words; undefined for those that say nothing about the agent's progress. */
function describe(event: SessionEvent): string | undefined {
  switch (event.type) {
    case 'model.responded':
      return event.data.content.map((block) => (block.type === 'text' ? block.text : `calls ${block.name} ${json(block.input)}`)).join(' · ');
    case 'model.failed':
      return `${event.data.code}: ${event.data.message}`;
    case 'tool.requested':
      return `${event.data.tool} ${json(event.data.input)}`;
    case 'tool.completed':
      return `${event.data.tool} → ${event.data.output}`;
    case 'tool.failed':
      return `${event.data.tool} failed: ${event.data.error}`;
    case 'tool.outcome_unknown':
      return `${event.data.tool} may or may not have run: ${event.data.reason}`;
    case 'permission.denied':
      return `${event.data.tool} refused: ${event.data.reason}`;
    case 'supervisor.intervened':
      return `${event.data.action} by the ${event.data.detector} detector: ${event.data.reason}`;
    case 'supervisor.judged':
      return `${event.data.verdict}: ${event.data.reason}`;
    case 'supervisor.gated':
      return event.data.verdict === 'proceed' ? undefined : `${event.data.tool ?? 'the model call'} ${event.data.verdict === 'block' ? 'blocked' : 'paused'} by the supervisor's gate: ${event.data.reason ?? ''}`;
    case 'session.paused':
      return event.data.reason;
    case 'budget.exceeded':
      return `${event.data.limit} ${event.data.used} of ${event.data.allowed}`;
    case 'subagent.completed':
      return `${event.data.sessionId} ${event.data.status}${event.data.output === undefined ? '' : `: ${event.data.output}`}`;
    case 'output.rejected':
      return `the answer does not satisfy the output schema: ${event.data.errors.join('; ')}`;
    case 'outcome.graded':
      return event.data.problem ?? `attempt ${event.data.attempt} ${event.data.passed ? 'passed' : 'failed'} (score ${event.data.score}): ${event.data.changes.join('; ')}`;
    case 'message.received':
      return `the user says: ${event.data.text}`;
    case 'session.interrupted':
      return `interrupted by ${event.data.by}${event.data.reason === '' ? '' : `: ${event.data.reason}`}`;
    case 'context.compacted':
      return event.data.error === undefined ? `context compacted: messages ${event.data.from}–${event.data.upTo - 1} summarised` : `context not compacted: ${event.data.error}`;
    case 'signal.received':
      return `signal ${event.data.name} from ${event.data.by}${event.data.payload === undefined ? '' : `: ${event.data.payload}`}`;
    case 'turn.completed': // the answer is in the reply before it
    case 'session.created': // its input is the goal, shown apart
    case 'memory.loaded':
    case 'model.requested':
    case 'permission.granted':
    case 'approval.requested':
    case 'approval.resolved':
    case 'session.resumed':
    case 'outcome.submitted':
    case 'subagent.spawned':
    case 'session.completed':
      return undefined;
    default:
      return assertNever(event);
  }
}

function json(value: unknown): string {
  return canonicalJson(value);
}

/** Secret references masked as the vault masks values, and the trajectory's closing tag defused. */
function safe(text: string): string {
  return text.replace(/\{\{secret:([A-Za-z0-9_]+)\}\}/g, '[secret:$1]').replace(new RegExp(`</?${trajectoryTag}`, 'gi'), (tag) => tag.replace('<', '‹'));
}
