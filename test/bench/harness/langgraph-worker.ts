/**
 * LangGraph.js for the peers benchmark, as its users build an agent loop: a `model` node and a `tool` node in a
 * cycle, compiled with the SQLite checkpointer (a file of its own in a temporary folder), each session a thread.
 * The state is a step count, the pending call and the last result, no conversation: the peer at its lightest.
 * Started with an IPC channel; each message `{ sessions, steps }` runs that many threads at once and is answered
 * with the model calls they made (steps + 1 each). Sends `ready` first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePeer } from './peer-packages.ts';

interface AgentState {
  step: number;
  steps: number;
  modelCalls: number;
  pending: { tool: string; callId: string } | null;
  last: { callId: string; output: string } | null;
}

type Channel = unknown;
interface LangGraph {
  Annotation: (<T>(spec?: { reducer: (current: T, update: T) => T; default: () => T }) => Channel) & { Root(channels: Record<keyof AgentState, Channel>): unknown };
  StateGraph: new (state: unknown) => GraphBuilder;
  START: string;
  END: string;
}
interface GraphBuilder {
  addNode(name: string, node: (state: AgentState) => Promise<Partial<AgentState>>): GraphBuilder;
  addEdge(from: string, to: string): GraphBuilder;
  addConditionalEdges(from: string, route: (state: AgentState) => string): GraphBuilder;
  compile(options: { checkpointer: unknown }): { invoke(input: Partial<AgentState>, config: { configurable: { thread_id: string }; recursionLimit: number }): Promise<AgentState> };
}
interface SqliteSaver {
  db: { close(): void };
}

const { Annotation, StateGraph, START, END } = requirePeer<LangGraph>('@langchain/langgraph');
const { SqliteSaver } = requirePeer<{ SqliteSaver: { fromConnString(path: string): SqliteSaver } }>('@langchain/langgraph-checkpoint-sqlite');

const folder = mkdtempSync(join(tmpdir(), 'bench-langgraph-'));
const saver = SqliteSaver.fromConnString(join(folder, 'checkpoints.db'));
const replaced = <T>(initial: T) => Annotation<T>({ reducer: (_current, update) => update, default: () => initial });
const State = Annotation.Root({ step: replaced(0), steps: replaced(0), modelCalls: replaced(0), pending: replaced(null), last: replaced(null) });

const graph = new StateGraph(State)
  .addNode('model', async ({ step, steps, modelCalls }) =>
    step < steps ? { step: step + 1, modelCalls: modelCalls + 1, pending: { tool: 'bench.noop', callId: `call-${step + 1}` } } : { modelCalls: modelCalls + 1, pending: null },
  )
  .addNode('tool', async ({ pending }) => ({ last: { callId: pending?.callId ?? '', output: 'ok' }, pending: null }))
  .addEdge(START, 'model')
  .addConditionalEdges('model', ({ pending }) => (pending ? 'tool' : END))
  .addEdge('tool', 'model')
  .compile({ checkpointer: saver });

let threads = 0;
async function runThreads(sessions: number, steps: number): Promise<number> {
  const ended = await Promise.all(
    Array.from({ length: sessions }, () => graph.invoke({ steps }, { configurable: { thread_id: `thread-${(threads += 1)}` }, recursionLimit: 2 * steps + 10 })),
  );
  return ended.reduce((sum, state) => sum + state.modelCalls, 0);
}

process.on('message', (message: { sessions: number; steps: number }) => {
  runThreads(message.sessions, message.steps).then(
    (modelCalls) => process.send?.({ modelCalls }),
    (error: unknown) => process.send?.({ error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('SIGTERM', () => {
  saver.db.close();
  rmSync(folder, { recursive: true, force: true });
  process.exit(0);
});
process.send?.('ready');
