import type { Finding, SubscribersFact } from './doctor-checks.ts';

/** An agent whose tool calls wait for the supervisor's gate (`supervision.gate`), and what it does with no answer. */
export interface GatedAgent {
  agent: string;
  timeoutMs: number;
  onNoAnswer: 'open' | 'closed';
}

/**
 * Agents with a gate and no supervisor pulling from the log: each of their tool calls waits out the
 * gate's deadline, then runs unsupervised (open) or is refused (closed).
 */
export function gateFindings(gated: readonly GatedAgent[], subscribers: SubscribersFact): Finding[] {
  if (gated.length === 0) return [];
  const supervising = subscribers.durables.some((durable) => durable.name.startsWith('supervisor-p') && durable.pulls > 0);
  if (supervising) return [];
  return gated.map(({ agent, timeoutMs, onNoAnswer }) => ({
    level: 'warn',
    message:
      `Agent ${agent} asks the supervisor's gate before each tool call, but no supervisor is running: every call waits ${timeoutMs} ms, then ` +
      `${onNoAnswer === 'open' ? 'runs unsupervised (the gate fails open)' : 'is refused (the gate fails closed)'}. Start one: \`signalbox run supervisor\`.`,
  }));
}
