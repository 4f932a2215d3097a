/**
 * The context windows of the providers' models, in tokens, by name prefix (`<provider>/<model>`), for
 * agents that set no `context.windowTokens`. The decider reads it: a change here changes how sessions
 * decide, so it comes with a new decider version.
 */
const windows: readonly [prefix: string, tokens: number][] = [
  ['anthropic/claude', 200_000],
  ['openai/gpt-4.1', 1_047_576],
  ['openai/gpt-4o', 128_000],
  ['openai/gpt-5', 400_000],
  ['openai/o3', 200_000],
  ['openai/o4', 200_000],
];

/** The model's context window in tokens, when it is known. */
export function contextWindowOf(model: string): number | undefined {
  return windows.find(([prefix]) => model.startsWith(prefix))?.[1];
}

/** The instructions of the model call that summarises a session's older turns when its context is compacted. */
export const compactionInstructions =
  'You compact the context of an agent that is still working. Summarise the conversation below for the agent itself: ' +
  'the task and what the user asked, what it has done and found (facts, names, numbers, file paths), what failed, and what is left to do. ' +
  'Keep everything it needs to go on; leave out what it does not. Write plain text, at most a few hundred words.';
