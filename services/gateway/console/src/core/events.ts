/**
 * Log events as the gateway sends them (the envelope as JSON) and the one-line summary each gets in a
 * timeline. Everything here is data from a session's log, which the model and tools wrote into: it is
 * only ever rendered as text.
 */

export interface LogEvent {
  id: string;
  type: string;
  n: number;
  at: number;
  sessionId: string;
  correlationId?: string;
  by?: unknown;
  data: Record<string, unknown>;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value));
const money = (value: unknown): string => (typeof value === 'number' ? `$${value.toFixed(4)}` : '');

/** At most `max` characters of one line. */
export function clip(value: string, max = 140): string {
  const line = value.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

interface ContentBlock {
  type: string;
  text?: string;
  name?: string;
}

/** What an event says, in one line: the same facts the CLI's timeline shows. */
export function summarise(event: LogEvent): string {
  const d = event.data;
  switch (event.type) {
    case 'session.created':
      return `agent=${text((d.agent as { name?: string } | undefined)?.name)} input=${clip(text(d.input), 100)}`;
    case 'model.requested':
      return `${text(d.callId)} ${text(d.model)}${typeof d.attempt === 'number' && d.attempt > 1 ? ` attempt ${d.attempt}` : ''}`;
    case 'model.responded': {
      const blocks = (d.content as ContentBlock[] | undefined) ?? [];
      const said = blocks.filter((block) => block.type === 'text').map((block) => block.text ?? '').join(' ');
      const tools = blocks.filter((block) => block.type === 'tool_use').map((block) => block.name ?? '');
      return `${text(d.stopReason)} ${money(d.costUsd)} ${tools.length > 0 ? `→ ${tools.join(', ')} ` : ''}${clip(said, 110)}`;
    }
    case 'model.failed':
      return `${text(d.code)}: ${clip(text(d.message))}`;
    case 'tool.requested':
      return `${text(d.tool)} ${clip(text(d.input), 110)}`;
    case 'tool.completed':
      return `${text(d.tool)} → ${clip(text(d.output), 110)}${d.wholeOutput ? ' (cut)' : ''}`;
    case 'tool.failed':
      return `${text(d.tool)} ✗ ${clip(text(d.error))}`;
    case 'permission.granted':
    case 'permission.denied':
      return `${text(d.tool)}: ${clip(text(d.reason))}`;
    case 'approval.requested':
      return `${text(d.tool)} waits for a person: ${clip(text(d.input), 100)}`;
    case 'approval.resolved':
      return `${text(d.tool)} ${d.approved === true ? 'approved' : 'denied'} by ${text(d.by)}${d.note ? `: ${clip(text(d.note), 80)}` : ''}`;
    case 'supervisor.intervened':
      return `${text(d.detector)} → ${text(d.action)}: ${clip(text(d.reason))}`;
    case 'outcome.graded':
      return `attempt ${text(d.attempt)} ${d.passed === true ? 'passed' : 'failed'} score ${text(d.score)}`;
    case 'subagent.spawned':
      return `${text(d.agent)} as ${text(d.sessionId)}${d.task ? `: ${clip(text(d.task), 80)}` : ''}`;
    case 'subagent.completed':
      return `${text(d.sessionId)} ${text(d.status)}${d.output ? ` → ${clip(text(d.output), 90)}` : ''}`;
    case 'session.completed':
      return `${text(d.status)}${d.output ? ` → ${clip(text(d.output), 110)}` : ''}${d.reason ? ` (${clip(text(d.reason), 80)})` : ''}`;
    case 'memory.loaded':
      return `${Array.isArray(d.entries) ? d.entries.length : 0} entries${d.store ? ` from ${text(d.store)} v${text(d.version)}` : ''}`;
    default:
      return clip(text(d));
  }
}

/** The colour family of an event in a timeline. */
export function tone(type: string): 'model' | 'tool' | 'warn' | 'bad' | 'good' | 'plain' {
  if (type.startsWith('model.')) return type === 'model.failed' ? 'bad' : 'model';
  if (type === 'tool.failed' || type === 'permission.denied' || type === 'budget.exceeded') return 'bad';
  if (type.startsWith('tool.') || type.startsWith('permission.')) return 'tool';
  if (type.startsWith('approval.') || type.startsWith('supervisor.') || type === 'session.paused') return 'warn';
  if (type === 'session.completed' || type === 'outcome.graded') return 'good';
  return 'plain';
}
