/**
 * Orchestration (issue #22): a lead delegating to 20 specialists in one reply, against the same lead
 * delegating to one, in the same run. Each specialist calls a tool that takes 500 ms (its executor
 * allowed 20 calls at once), writes its part to the run's workspace and answers; the lead then answers
 * with what came back. The ratio is the wall time of the twenty-way run to the one-way run (target:
 * under 2x), so what it shows is the fan-out's overhead: twenty child sessions started, stepped,
 * permission-checked and reported back, beside one.
 *
 *   node test/bench/fan-out.ts    (env: BENCH_CHILDREN=20, BENCH_TOOL_MS=500, BENCH_REPS=3)
 */
import { availableParallelism } from 'node:os';
import type { SignalboxClient } from '@signalbox/client';
import type { AgentDefinition, ModelRequest, ModelResponse } from '@signalbox/events';
import { createProviderRegistry, providerConfigFromEnv, type ModelProvider } from '@signalbox/models';
import { permissionBrokerService } from '@signalbox/permission-broker';
import { modelResolver, sessionActorService } from '@signalbox/session-actor';
import { defineTool, toolExecutorService, workspaceTools } from '@signalbox/tool-executor';
import { z } from 'zod';
import { runBench } from './harness/lifecycle.ts';
import { printSummary, verdictLine } from './harness/ratio-report.ts';
import { startBenchNats, startBenchRuntime } from './harness/runtime.ts';
import { median } from './harness/stats.ts';

const children = Number(process.env['BENCH_CHILDREN'] ?? 20);
const toolMs = Number(process.env['BENCH_TOOL_MS'] ?? 500);
const reps = Number(process.env['BENCH_REPS'] ?? 3);
const target = 2;

const slowWork = defineTool({
  name: 'bench.work',
  description: 'Works on a part for a while',
  input: z.object({ part: z.number().int() }),
  run: async ({ part }) => {
    await new Promise((resolve) => setTimeout(resolve, toolMs));
    return `part ${part} worked on`;
  },
});

const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
const reply = (content: ModelResponse['content']): ModelResponse => ({ model: 'lead', content, stopReason: content.some((block) => block.type === 'tool_use') ? 'tool_use' : 'end_turn', usage });

/** The lead: delegates as many parts as its task says, in one reply; then answers with how many came back. */
const lead: ModelProvider = {
  name: 'lead',
  complete: async (request: ModelRequest) => {
    const answers = request.messages.flatMap((message) => message.content).filter((block) => block.type === 'tool_result');
    if (answers.length > 0) return reply([{ type: 'text', text: `${answers.length} parts merged` }]);
    const first = request.messages[0]?.content.find((block) => block.type === 'text');
    const parts = Number(/(\d+) parts/.exec(first?.type === 'text' ? first.text : '')?.[1] ?? 1);
    return reply(Array.from({ length: parts }, (_, i) => ({ type: 'tool_use' as const, id: `call_${i + 1}`, name: 'agents.delegate', input: { agent: 'specialist', task: `part ${i + 1}`, maxSteps: 3 } })));
  },
};

await runBench('fan-out', 80_000, async (teardown) => {
  const nats = await startBenchNats(teardown);
  const scripted = modelResolver(createProviderRegistry(providerConfigFromEnv({})));
  const services = [
    sessionActorService({ resolveModel: (agent: AgentDefinition) => (agent.model === 'scripted' ? scripted(agent) : { provider: lead, costOf: () => 0 }) }),
    permissionBrokerService(),
    toolExecutorService({ tools: [...workspaceTools, slowWork], concurrency: children }),
  ];
  const runtime = await startBenchRuntime(teardown, nats, services);
  await runtime.client.applyAgent({ name: 'lead', model: 'local/lead', subagents: ['specialist'], tools: ['bench.work', 'workspace.write'], budget: { maxSteps: 1_000 } });
  await runtime.client.applyAgent({ name: 'specialist', model: 'scripted', tools: ['bench.work', 'workspace.write'], script: [{ tool: 'bench.work', input: { part: 1 } }, { tool: 'workspace.write', input: { path: 'part.md', content: 'a part' } }, { final: 'part done' }] });

  const timed = async (parts: number, rep: number): Promise<number> => {
    const started = performance.now();
    await runtime.client.submit('lead', { input: `Do the ${parts} parts`, sessionId: `fan-${parts}-${rep}` });
    await succeeded(runtime.client, `fan-${parts}-${rep}`);
    return performance.now() - started;
  };
  // Warm both paths once, untimed.
  await timed(1, -1);
  await timed(children, -1);
  const one: number[] = [];
  const many: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    one.push(await timed(1, rep));
    many.push(await timed(children, rep));
  }
  const oneMs = median(one);
  const manyMs = median(many);
  const verdict = { ratio: manyMs / oneMs, target, atLeast: false };
  console.log(`fan-out · ${availableParallelism()} cpus · a tool of ${toolMs} ms, the executor allowed ${children} at once, median of ${reps}`);
  console.log(`  a lead delegating to 1 specialist      ${oneMs.toFixed(0)} ms  (${one.map((ms) => ms.toFixed(0)).join(', ')})`);
  console.log(`  a lead delegating to ${children} specialists    ${manyMs.toFixed(0)} ms  (${many.map((ms) => ms.toFixed(0)).join(', ')})`);
  console.log(verdictLine(`${children} specialists / 1 specialist, wall time`, verdict));
  printSummary('fan-out', verdict, { children, toolMs, oneMs, manyMs });
});

/** Resolves once the lead's session succeeded (its children all answered). */
async function succeeded(client: SignalboxClient, sessionId: string): Promise<void> {
  for await (const event of client.follow(sessionId, AbortSignal.timeout(30_000))) {
    if (event.type !== 'session.completed') continue;
    if (event.data.status !== 'succeeded') throw new Error(`${sessionId} ended ${event.data.status}: ${event.data.reason ?? ''}`);
    return;
  }
  throw new Error(`${sessionId} did not complete`);
}
