import { readFile } from 'node:fs/promises';
import { summarise, type SignalboxClient } from '@signalbox/client';
import type { Task } from '@signalbox/events';
import { parseAllDocuments } from 'yaml';
import { useColour, withClient, type GlobalOptions } from './connection.ts';
import { dollars } from './excerpts.ts';
import { formatEvent } from './timeline.ts';

export async function applyAgents(options: GlobalOptions, file: string): Promise<void> {
  const documents = parseAllDocuments(await readFile(file, 'utf8')).flatMap((document) => {
    const value: unknown = document.toJS();
    return Array.isArray(value) ? (value as unknown[]) : [value];
  });
  await withClient(options, async (client) => {
    for (const document of documents) {
      const agent = await client.applyAgent(document);
      print(options, agent, `applied agent ${agent.name} (${agent.model})`);
    }
  });
}

export interface SubmitFlags {
  sessionId?: string;
  maxSteps?: string;
  follow?: boolean;
}

export async function submitTask(options: GlobalOptions, agent: string, input: string, flags: SubmitFlags): Promise<void> {
  const task: Task = { input };
  if (flags.sessionId) task.sessionId = flags.sessionId;
  if (flags.maxSteps) task.budget = { maxSteps: Number(flags.maxSteps) };
  await withClient(options, async (client) => {
    const outcome = await client.submit(agent, task);
    if (outcome.status === 'rejected') throw new Error(`task rejected: ${outcome.error}`);
    print(options, outcome, outcome.status === 'duplicate' ? `${outcome.sessionId} (already submitted)` : outcome.sessionId);
    if (flags.follow) await printTimeline(options, client, outcome.sessionId);
  });
}

export async function tailSession(options: GlobalOptions, sessionId: string): Promise<void> {
  await withClient(options, (client) => printTimeline(options, client, sessionId));
}

/** Prints a session's events as they are appended, until it completes. */
export async function printTimeline(options: GlobalOptions, client: SignalboxClient, sessionId: string): Promise<void> {
  const colour = useColour();
  for await (const event of client.follow(sessionId)) {
    console.log(options.json ? JSON.stringify(event) : formatEvent(event, colour));
  }
}

export async function listSessions(options: GlobalOptions): Promise<void> {
  await withClient(options, async (client) => {
    const sessions = await client.sessions();
    if (options.json) return console.log(JSON.stringify(sessions, null, 2));
    if (sessions.length === 0) return console.log('no sessions yet');
    for (const session of sessions) {
      const when = new Date(session.createdAt).toISOString().replace('T', ' ').slice(0, 19);
      console.log(`${session.sessionId}  ${when}  ${session.agent.padEnd(16)} ${session.status.padEnd(9)} ${session.lastN} events`);
    }
  });
}

export async function inspectSession(options: GlobalOptions, sessionId: string): Promise<void> {
  await withClient(options, async (client) => {
    const events = await client.events(sessionId);
    if (events.length === 0) throw new Error(`no session ${sessionId}`);
    const summary = summarise(sessionId, events);
    if (options.json) return console.log(JSON.stringify({ summary, events }, null, 2));
    const colour = useColour();
    for (const event of events) console.log(formatEvent(event, colour));
    const totals = summary.totals;
    console.log(
      `\n${summary.status} · ${summary.events} events · ${summary.durationMs} ms` +
        (totals ? ` · ${totals.steps} steps · ${totals.toolCalls} tool calls · ${totals.inputTokens}→${totals.outputTokens} tokens · ${dollars(totals.costUsd)}` : ''),
    );
  });
}

export async function printToolOutput(options: GlobalOptions, sha256: string): Promise<void> {
  await withClient(options, async (client) => {
    const output = await client.toolOutput(sha256);
    if (output === undefined) throw new Error(`no tool output is stored as ${sha256}`);
    process.stdout.write(output);
  });
}

function print(options: GlobalOptions, data: unknown, text: string): void {
  console.log(options.json ? JSON.stringify(data) : text);
}
