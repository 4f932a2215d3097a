import type { Usage } from '@signalbox/events';
import { z } from 'zod';

/** USD per million tokens. `cacheWrite` is the 5-minute cache write (what `ephemeral` buys). */
export const ModelPrice = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheRead: z.number().nonnegative(),
  cacheWrite: z.number().nonnegative(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;

/** `{ '<provider>/<model-prefix>': price }`; `'ollama/'` prices every model of that provider. */
export const PriceOverrides = z.record(z.string().regex(/^[a-z0-9_-]+\/.*$/, 'a key is "<provider>/<model-prefix>"'), ModelPrice);
export type PriceOverrides = z.infer<typeof PriceOverrides>;

export interface Cost {
  costUsd: number;
  /** False when no price matched the model: the cost is 0 and should be reported as unknown. */
  priced: boolean;
}

const price = (input: number, output: number, cacheRead: number, cacheWrite: number): ModelPrice => ({
  input,
  output,
  cacheRead,
  cacheWrite,
});

/**
 * Standard-tier list prices. Anthropic: platform.claude.com/docs/en/about-claude/pricing and the
 * model pages. OpenAI: developers.openai.com/api/docs/pricing; OpenAI bills cache writes as input.
 * Long-context surcharges and tiered models (claude-haiku-5-5, gpt-5.4 over 272K) are not modelled.
 */
export const listPrices: Readonly<Record<string, Readonly<Record<string, ModelPrice>>>> = {
  anthropic: {
    'claude-fable-5-1': price(10, 50, 0.25, 12.5),
    'claude-fable-5': price(10, 50, 1, 12.5),
    'claude-opus-5-5': price(4, 20, 0.2, 5),
    'claude-opus-5': price(5, 25, 0.5, 6.25),
    'claude-opus-4-8': price(5, 25, 0.5, 6.25),
    'claude-opus-4-7': price(5, 25, 0.5, 6.25),
    'claude-opus-4-6': price(5, 25, 0.5, 6.25),
    'claude-opus-4-5': price(5, 25, 0.5, 6.25),
    'claude-opus-4-1': price(15, 75, 1.5, 18.75),
    'claude-opus-4': price(15, 75, 1.5, 18.75),
    'claude-sonnet-5-5': price(2, 10, 0.1, 2.5),
    'claude-sonnet-5': price(2, 10, 0.2, 2.5),
    'claude-sonnet-4-6': price(3, 15, 0.3, 3.75),
    'claude-sonnet-4-5': price(3, 15, 0.3, 3.75),
    'claude-sonnet-4': price(3, 15, 0.3, 3.75),
    'claude-3-7-sonnet': price(3, 15, 0.3, 3.75),
    'claude-haiku-4-5': price(1, 5, 0.1, 1.25),
    'claude-3-5-haiku': price(0.8, 4, 0.08, 1),
    'claude-3-haiku': price(0.25, 1.25, 0.03, 0.3),
  },
  openai: {
    'gpt-5.4': price(2.5, 15, 0.25, 2.5),
    'gpt-5.4-mini': price(0.75, 4.5, 0.075, 0.75),
    'gpt-5.4-nano': price(0.2, 1.25, 0.02, 0.2),
    'gpt-5.2': price(1.75, 14, 0.175, 1.75),
    'gpt-5.1': price(1.25, 10, 0.125, 1.25),
    'gpt-5': price(1.25, 10, 0.125, 1.25),
    'gpt-5-mini': price(0.25, 2, 0.025, 0.25),
    'gpt-5-nano': price(0.05, 0.4, 0.005, 0.05),
    'gpt-5-pro': price(15, 120, 15, 15),
    'gpt-4.1': price(2, 8, 0.5, 2),
    'gpt-4.1-mini': price(0.4, 1.6, 0.1, 0.4),
    'gpt-4.1-nano': price(0.1, 0.4, 0.025, 0.1),
    'gpt-4o': price(2.5, 10, 1.25, 2.5),
    'gpt-4o-mini': price(0.15, 0.6, 0.075, 0.15),
    o3: price(2, 8, 0.5, 2),
    'o3-mini': price(1.1, 4.4, 0.55, 1.1),
    'o3-pro': price(20, 80, 20, 20),
    'o3-deep-research': price(10, 40, 2.5, 10),
    'o4-mini': price(1.1, 4.4, 0.275, 1.1),
    'o4-mini-deep-research': price(2, 8, 0.5, 2),
  },
};

/**
 * What a call cost. Usage counts cache reads and writes apart from `inputTokens` (adapters
 * normalise OpenAI's totals), so each token is charged once.
 */
export function costOf(provider: string, model: string, usage: Usage, overrides: PriceOverrides = {}): Cost {
  const found = priceOf(provider, model, overrides);
  if (found === undefined) return { costUsd: 0, priced: false };
  const micros =
    usage.inputTokens * found.input +
    usage.outputTokens * found.output +
    usage.cacheReadTokens * found.cacheRead +
    usage.cacheWriteTokens * found.cacheWrite;
  return { costUsd: micros / 1_000_000, priced: true };
}

/** Overrides first, then list prices; within each, the longest matching model prefix. */
export function priceOf(provider: string, model: string, overrides: PriceOverrides = {}): ModelPrice | undefined {
  const overridden = Object.fromEntries(
    Object.entries(overrides).flatMap(([key, value]) => (key.startsWith(`${provider}/`) ? [[key.slice(provider.length + 1), value]] : [])),
  );
  return longestPrefixMatch(overridden, model) ?? longestPrefixMatch(listPrices[provider] ?? {}, model);
}

/**
 * A prefix matches the whole name or up to a `-`, so `claude-sonnet-4-5-20250929` finds
 * `claude-sonnet-4-5` and `gpt-4o-2024-08-06` finds `gpt-4o`, but `gpt-5.4` never finds `gpt-5`.
 */
function longestPrefixMatch(table: Readonly<Record<string, ModelPrice>>, model: string): ModelPrice | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    const matches = prefix === '' || model === prefix || model.startsWith(`${prefix}-`);
    if (matches && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : table[best];
}
