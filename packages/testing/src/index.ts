export { anthropicError, anthropicErrors, anthropicMessage, anthropicText, anthropicToolUse, startFakeAnthropic } from './fake-anthropic.ts';
export type { AnthropicMessageOptions, FakeAnthropic, WireToolCall } from './fake-anthropic.ts';
export { delayed, malformedJson, sseReply, startFakeHttp, typedEvent } from './fake-http.ts';
export type { FakeHttpOptions, FakeHttpServer, FakeReply, RecordedRequest, SseEvent } from './fake-http.ts';
export { anthropicStreamError, anthropicStreamOf, chatStreamOf, piecesOf, responsesStreamOf } from './fake-streams.ts';
export {
  chatCompletion,
  chatText,
  chatToolCalls,
  openaiError,
  openaiErrors,
  responsesFunctionCalls,
  responsesMessage,
  responsesReply,
  responsesText,
  startFakeOpenAI,
} from './fake-openai.ts';
export type { ChatOptions, FakeOpenAI, OpenAIErrorBody, OpenAIUsage, ResponsesOptions } from './fake-openai.ts';
export { removeRunContainers, runContainers } from './container-runtime.ts';
export type { TestRun } from './container-runtime.ts';
export { countingCalls } from './counting-calls.ts';
export { freePort } from './free-port.ts';
export { chooseHarness, currentHarness, handedOverHarness, handOverHarness, HarnessUnavailable } from './harness-choice.ts';
export type { Harness, HarnessChoice } from './harness-choice.ts';
export { startNatsCluster } from './nats-cluster.ts';
export type { NatsCluster, NatsNodeOptions } from './nats-cluster.ts';
export { startNatsServer } from './nats-server.ts';
export type { NatsServer, NatsServerOptions } from './nats-server.ts';
export { provisioningUsers } from './provisioning-users.ts';
