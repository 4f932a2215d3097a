import { styleText } from 'node:util';
import type { SessionEvent, Totals } from '@signalbox/events';

type Style = Parameters<typeof styleText>[0];

/** One line per event, readable by a person: number, time, type and what matters about it. */
export function formatEvent(event: SessionEvent, colour: boolean): string {
  const paint = (style: Style, text: string) => (colour ? styleText(style, text) : text);
  const time = new Date(event.at).toISOString().slice(11, 23);
  const type = paint(styleOf(event), event.type.padEnd(17));
  return `${paint('dim', `#${String(event.n).padStart(3)} ${time}`)}  ${type} ${detailOf(event)}`;
}

export function styleOf(event: SessionEvent): Style {
  if (event.type === 'session.completed') return event.data.status === 'succeeded' ? 'green' : 'red';
  if (event.type.endsWith('failed') || event.type === 'budget.exceeded' || event.type === 'tool.outcome_unknown') return 'red';
  if (event.type.startsWith('model.')) return 'cyan';
  if (event.type.startsWith('tool.')) return 'yellow';
  return 'bold';
}

function detailOf(event: SessionEvent): string {
  switch (event.type) {
    case 'session.created':
      return `agent=${event.data.agent.name} model=${event.data.agent.model} input=${clip(JSON.stringify(event.data.input))}`;
    case 'model.requested':
      return `${event.data.callId} ${event.data.model}${event.data.attempt > 1 ? ` attempt ${event.data.attempt}` : ''}`;
    case 'model.responded': {
      const { usage, stopReason, costUsd, latencyMs } = event.data;
      const text = event.data.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(' ');
      return `${stopReason} ${usage.inputTokens}→${usage.outputTokens} tok $${costUsd.toFixed(4)} ${latencyMs}ms${text ? ` "${clip(text)}"` : ''}`;
    }
    case 'model.failed':
      return `${event.data.code}${event.data.retryable ? ' (retryable)' : ''}: ${clip(event.data.message)}`;
    case 'tool.requested':
      return `${event.data.tool} ${clip(JSON.stringify(event.data.input))}`;
    case 'tool.completed':
      return `${event.data.tool} ${event.data.durationMs}ms → ${clip(JSON.stringify(event.data.output))}`;
    case 'tool.failed':
      return `${event.data.tool} ${event.data.durationMs}ms ✗ ${clip(event.data.error)}`;
    case 'tool.outcome_unknown':
      return `${event.data.tool} ? ${clip(event.data.reason)}`;
    case 'budget.exceeded':
      return `${event.data.limit}: used ${event.data.used} of ${event.data.allowed}`;
    case 'session.completed':
      return `${event.data.status}${event.data.reason ? ` (${event.data.reason})` : ''}${event.data.output ? ` → ${clip(JSON.stringify(event.data.output), 200)}` : ''}`;
    default:
      return clip(JSON.stringify(event.data));
  }
}

function clip(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export interface SessionSummary {
  sessionId: string;
  agent: string | undefined;
  status: 'running' | 'succeeded' | 'failed' | 'aborted';
  events: number;
  durationMs: number;
  totals: Totals | undefined;
  output: string | undefined;
  reason: string | undefined;
}

/** What a session came to, read from its events. */
export function summarise(sessionId: string, events: readonly SessionEvent[]): SessionSummary {
  const created = events.find((event) => event.type === 'session.created');
  const completed = events.find((event) => event.type === 'session.completed');
  const first = events[0]?.at ?? 0;
  return {
    sessionId,
    agent: created?.type === 'session.created' ? created.data.agent.name : undefined,
    status: completed?.type === 'session.completed' ? completed.data.status : 'running',
    events: events.length,
    durationMs: (events.at(-1)?.at ?? first) - first,
    totals: completed?.type === 'session.completed' ? completed.data.totals : undefined,
    output: completed?.type === 'session.completed' ? completed.data.output : undefined,
    reason: completed?.type === 'session.completed' ? completed.data.reason : undefined,
  };
}
