import type { NatsConnection } from '@nats-io/nats-core';
import { toolJobDurable, type Naming, type SessionEvent } from '@signalbox/events';
import { z } from 'zod';
import { jsApi } from './doctor-facts.ts';
import { noteToolCall, toolWaitLine, type ToolConsumer } from './tool-waits.ts';

const ConsumerInfo = z.object({ num_pending: z.number(), num_ack_pending: z.number(), num_waiting: z.number() });
const consumerNotFound = 10014;

/**
 * One line for each of `tools` that waits for an executor: one consumer-info request a tool. A tool
 * whose consumer cannot be read (a NATS user not allowed to, a server slow to answer) is left out:
 * the line adds to what a command shows, and must not keep it from showing the rest.
 */
export async function toolWaitLines(nc: NatsConnection, names: Naming, tools: readonly string[]): Promise<string[]> {
  const consumers = await Promise.all(tools.map((tool) => toolConsumer(nc, names, tool).catch(() => 'unreadable' as const)));
  return tools.flatMap((tool, index) => {
    const consumer = consumers[index];
    return consumer === 'unreadable' ? [] : (toolWaitLine(tool, consumer) ?? []);
  });
}

async function toolConsumer(nc: NatsConnection, names: Naming, tool: string): Promise<ToolConsumer | undefined> {
  const reply = await jsApi(nc, `$JS.API.CONSUMER.INFO.${names.streams.jobs}.${toolJobDurable(tool)}`, ConsumerInfo);
  if (!reply.ok) {
    if (reply.error.err_code === consumerNotFound) return undefined;
    throw new Error(`cannot read the job consumer of ${tool}: ${reply.error.description}`);
  }
  const { num_pending: pending, num_ack_pending: inProgress, num_waiting: pulls } = reply.value;
  return { pending, inProgress, pulls };
}

/** How long a followed session may be quiet while it awaits a tool before asking the server why, and again after. */
const quietMs = 3_000;
const askAgainMs = 15_000;

/**
 * Passes a followed session's events through; while its calls wait and nothing happens, says which
 * tool waits for an executor (`report`), once each time that changes.
 */
export async function* reportingToolWaits(
  nc: NatsConnection,
  names: Naming,
  events: AsyncIterable<SessionEvent>,
  report: (line: string) => void,
): AsyncGenerator<SessionEvent> {
  const awaited = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let reported = '';
  // Counts events: an answer that arrives after the session moved on is stale.
  let seen = 0;
  const ask = async () => {
    const asked = seen;
    const lines = await toolWaitLines(nc, names, [...new Set(awaited.values())]);
    if (asked !== seen) return;
    if (lines.join('\n') !== reported) for (const line of lines) report(line);
    reported = lines.join('\n');
    timer = setTimeout(() => void ask(), askAgainMs).unref();
  };
  try {
    for await (const event of events) {
      seen++;
      reported = '';
      noteToolCall(awaited, event);
      clearTimeout(timer);
      if (awaited.size > 0) timer = setTimeout(() => void ask(), quietMs).unref();
      yield event;
    }
  } finally {
    clearTimeout(timer);
  }
}
