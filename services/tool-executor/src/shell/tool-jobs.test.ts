import type { JetStreamClient, JsMsg, PubAck } from '@nats-io/jetstream';
import { encode, naming, type ToolJob } from '@signalbox/events';
import { createLogger } from '@signalbox/runtime';
import type { WorkspaceFiles } from '@signalbox/store';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toolCatalogue } from './execute.ts';
import type { ToolLedger } from './ledger.ts';
import { memoryOutputs } from './memory-outputs.ts';
import { RunningCalls } from './running-calls.ts';
import { defineTool } from './tool.ts';
import { handleToolJob, type ToolJobDeps } from './tool-jobs.ts';
import { WorkspaceViews } from './workspace-views.ts';

const names = naming();
const echo = defineTool({ name: 'text.echo', description: 'Echo a text', input: z.object({ text: z.string() }), run: ({ text }) => text });
const job: ToolJob = { sessionId: 's1', correlationId: 's1', callId: 'call-1', tool: 'text.echo', input: { text: 'hi' }, idempotencyKey: 's1/call-1', firstDispatch: true, unforkedRun: true };
const delivery = { data: encode(job), seq: 7, headers: undefined, info: { stream: 'SBX_JOBS', deliveryCount: 1 } } as unknown as JsMsg;

/**
 * What the connection would send, write by write: nats.js queues each command and writes all it has
 * gathered once the current turn's microtasks run, so commands issued in one turn share a write.
 */
function connectionWrites() {
  const writes: string[][] = [];
  let gathering: string[] = [];
  return {
    writes,
    issue: (command: string) => {
      if (gathering.length === 0) {
        queueMicrotask(() => {
          writes.push(gathering);
          gathering = [];
        });
      }
      gathering.push(command);
    },
  };
}

function depsWith(ledgerWrite: ToolLedger['write'], issue: (command: string) => void): ToolJobDeps {
  const js = {
    publish: (subject: string) => {
      issue(`publish ${subject}`);
      return Promise.resolve({ stream: 'SBX_INBOX', seq: 1, duplicate: false } as PubAck);
    },
  } as unknown as JetStreamClient;
  return {
    js,
    names,
    logger: createLogger({ service: 'tool-executor', instance: 'test', level: 'silent' }),
    tools: toolCatalogue([echo]),
    workspaceFiles: {} as WorkspaceFiles,
    workspaceViews: new WorkspaceViews({ load: () => Promise.reject(new Error('an unforked run is never read')) } as never),
    outputs: memoryOutputs(),
    ledger: { read: () => Promise.resolve(undefined), write: ledgerWrite },
    grantSigners: new Set(),
    instance: 'test',
    now: () => 1_000,
    running: new RunningCalls(),
  };
}

describe('handleToolJob', () => {
  it('writes the ledger entry and sends the result in one turn, so both leave in one socket write', async () => {
    const connection = connectionWrites();
    const deps = depsWith((entry) => {
      connection.issue(`ledger ${entry.state}`);
      return Promise.resolve(1);
    }, connection.issue);

    await handleToolJob(deps, delivery);

    expect(connection.writes).toEqual([['ledger finished', 'publish sbx.inbox.s1']]);
  });

  it('sends the result even when the ledger cannot be written, and resolves only once both are settled', async () => {
    let failLedger: (error: Error) => void = () => undefined;
    const sent: string[] = [];
    const deps = depsWith(
      () => new Promise((_, reject) => (failLedger = reject)),
      (command) => sent.push(command),
    );

    let handled = false;
    const handling = handleToolJob(deps, delivery).then(() => (handled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toEqual(['publish sbx.inbox.s1']);
    expect(handled).toBe(false);

    failLedger(new Error('the ledger bucket is out of reach'));
    await handling;
    expect(handled).toBe(true);
  });
});
