import { assertNever, type SessionEvent } from '@signalbox/events';

/** How much of a transcript a consolidation reads: each kind of line, and one session's whole. */
export interface TranscriptLimits {
  /** A task's input, a user's message, an assistant's text, a final output. */
  textChars: number;
  /** A tool call's input, a tool's output or error. */
  toolChars: number;
  /** One session's transcript; past it the middle of the session is cut, and its start and end kept. */
  transcriptChars: number;
}

export const defaultTranscriptLimits: TranscriptLimits = { textChars: 1_000, toolChars: 400, transcriptChars: 8_000 };

/** One session as the consolidation model reads it, and what its evidence may cite. */
export interface Transcript {
  sessionId: string;
  agent: string;
  text: string;
  /** The event numbers of the lines it shows: the events an entry may cite. */
  shown: ReadonlySet<number>;
  /** Those that carry a tool's output, with their lines: an entry citing or repeating one waits for a person. */
  toolOutputs: ReadonlyMap<number, string>;
  /** Events left out to keep under `transcriptChars`. */
  cut: number;
}

/** The event types whose data a tool (and whoever controls what it reads) wrote. */
const toolOutputTypes: ReadonlySet<SessionEvent['type']> = new Set(['tool.completed', 'tool.failed', 'tool.outcome_unknown']);

export function carriesToolOutput(event: Pick<SessionEvent, 'type'>): boolean {
  return toolOutputTypes.has(event.type);
}

/**
 * A session's log as compact lines, each prefixed with its event number (`[e12]`). Every line is one
 * event, with line breaks inside it escaped, so a tool's output cannot forge a line of another event.
 */
export function renderTranscript(events: readonly SessionEvent[], limits: TranscriptLimits = defaultTranscriptLimits): Transcript {
  const first = events[0];
  const sessionId = first?.sessionId ?? '';
  const agent = first?.type === 'session.created' ? first.data.agent.name : '';
  const lines = events.flatMap((event) => {
    const line = lineOf(event, limits);
    return line === undefined ? [] : [{ n: event.n, text: `[e${event.n}] ${line}`, tool: carriesToolOutput(event) }];
  });
  const kept = withinBudget(lines, limits.transcriptChars);
  const cut = lines.length - kept.length;
  const text = kept.map((line, index) => (cut > 0 && index === kept.length - 1 ? `[… ${cut} events cut: the transcript is over ${limits.transcriptChars} characters]\n${line.text}` : line.text)).join('\n');
  return {
    sessionId,
    agent,
    text,
    shown: new Set(kept.map((line) => line.n)),
    toolOutputs: new Map(kept.filter((line) => line.tool).map((line) => [line.n, line.text])),
    cut,
  };
}

/** The first lines that fit, then the last line (how the session ended), so a long session is read by its task and its end. */
function withinBudget<L extends { text: string }>(lines: readonly L[], budget: number): L[] {
  const last = lines.at(-1);
  if (last === undefined) return [];
  let left = budget - last.text.length - 100;
  const kept: L[] = [];
  for (const line of lines.slice(0, -1)) {
    left -= line.text.length + 1;
    if (left < 0) break;
    kept.push(line);
  }
  return [...kept, last];
}

function lineOf(event: SessionEvent, limits: TranscriptLimits): string | undefined {
  const text = (value: string) => clip(value, limits.textChars);
  const tool = (value: string) => clip(value, limits.toolChars);
  switch (event.type) {
    case 'session.created':
      return `task for ${event.data.agent.name}: ${text(event.data.input)}`;
    case 'message.received':
      return `user ${event.data.by}: ${text(event.data.text)}`;
    case 'model.responded': {
      const said = event.data.content.flatMap((block) => (block.type === 'text' && block.text.trim() !== '' ? [block.text] : []));
      return said.length === 0 ? undefined : `assistant: ${text(said.join(' '))}`;
    }
    case 'tool.requested':
      return `tool call ${event.data.tool} ${tool(JSON.stringify(event.data.input))}`;
    case 'tool.completed':
      return `tool output ${event.data.tool}: ${tool(event.data.output)}`;
    case 'tool.failed':
      return `tool error ${event.data.tool}: ${tool(event.data.error)}`;
    case 'tool.outcome_unknown':
      return `tool outcome unknown ${event.data.tool}: ${tool(event.data.reason)}`;
    case 'permission.denied':
      return `tool call ${event.data.callId} denied: ${text(event.data.reason)}`;
    case 'supervisor.intervened':
      return `supervisor ${event.data.action} (${event.data.detector}): ${text(event.data.reason)}`;
    case 'session.completed':
      return `session ${event.data.status}${event.data.reason ? ` (${text(event.data.reason)})` : ''}${event.data.output ? `: ${text(event.data.output)}` : ''}`;
    case 'memory.loaded':
    case 'model.requested':
    case 'model.failed':
    case 'permission.granted':
    case 'approval.requested':
    case 'approval.resolved':
    case 'supervisor.judged':
    case 'supervisor.gated':
    case 'session.paused':
    case 'session.resumed':
    case 'budget.exceeded':
    case 'outcome.submitted':
    case 'output.rejected':
    case 'outcome.graded':
    case 'subagent.spawned':
    case 'subagent.completed':
    case 'context.compacted':
    case 'signal.received':
    case 'turn.completed':
    case 'session.interrupted':
      return undefined;
    default:
      return assertNever(event);
  }
}

/** `value` on one line (a line break inside it could pass for another event's line), cut to `max` with the cut marked. */
function clip(value: string, max: number): string {
  const flat = value.replace(/\r?\n/g, '⏎');
  return flat.length <= max ? flat : `${flat.slice(0, max)}… [${flat.length - max} characters cut]`;
}
