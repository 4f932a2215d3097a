import { describe, expect, it } from 'vitest';
import { costOf, PriceOverrides, priceOf } from './pricing.ts';

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0) => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
});

describe('costOf', () => {
  it('prices every kind of token of an Anthropic call', () => {
    // 1M input at $3, 100k output at $15, 2M cache reads at $0.30, 400k cache writes at $3.75
    const cost = costOf('anthropic', 'claude-sonnet-4-6', usage(1_000_000, 100_000, 2_000_000, 400_000));
    expect(cost.priced).toBe(true);
    expect(cost.costUsd).toBeCloseTo(3 + 1.5 + 0.6 + 1.5, 10);
  });

  it('charges OpenAI cached tokens once, at the cached rate', () => {
    // The adapter turned input_tokens 1,000,000 with 800,000 cached into 200,000 + 800,000.
    const cost = costOf('openai', 'gpt-4.1', usage(200_000, 0, 800_000));
    expect(cost.costUsd).toBeCloseTo(0.2 * 2 + 0.8 * 0.5, 10);
  });

  it('resolves dated model ids by longest prefix', () => {
    expect(priceOf('anthropic', 'claude-sonnet-4-5-20250929')).toEqual(priceOf('anthropic', 'claude-sonnet-4-5'));
    expect(priceOf('anthropic', 'claude-opus-4-20250514')?.input).toBe(15);
    expect(priceOf('anthropic', 'claude-opus-4-5-20251101')?.input).toBe(5);
    expect(priceOf('anthropic', 'claude-haiku-4-5-20251001')?.output).toBe(5);
    expect(priceOf('openai', 'gpt-4o-mini-2024-07-18')?.input).toBe(0.15);
    expect(priceOf('openai', 'gpt-4o-2024-08-06')?.input).toBe(2.5);
    expect(priceOf('openai', 'gpt-4.1-mini-2025-04-14')?.input).toBe(0.4);
  });

  it('matches prefixes only up to a dash, so a newer version is not taken for an older one', () => {
    expect(priceOf('openai', 'gpt-5.4')?.input).toBe(2.5);
    expect(priceOf('openai', 'gpt-5.9')).toBeUndefined();
    expect(priceOf('anthropic', 'claude-opus-45')).toBeUndefined();
  });

  it('reports an unknown model as unpriced at zero cost', () => {
    expect(costOf('ollama', 'llama3.2', usage(1_000, 1_000))).toEqual({ costUsd: 0, priced: false });
    expect(costOf('anthropic', 'claude-unknown-9', usage(1_000, 1_000))).toEqual({ costUsd: 0, priced: false });
  });

  it('lets overrides win over list prices, by prefix and per provider', () => {
    const overrides = PriceOverrides.parse({
      'anthropic/claude-sonnet-4': { input: 1, output: 2, cacheRead: 0, cacheWrite: 0 },
      'ollama/': { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    });
    expect(costOf('anthropic', 'claude-sonnet-4-5-20250929', usage(1_000_000, 1_000_000), overrides).costUsd).toBe(3);
    expect(costOf('ollama', 'llama3.2', usage(1_000, 1_000), overrides)).toEqual({ costUsd: 0, priced: true });
    expect(costOf('openai', 'gpt-4o', usage(1_000_000, 0), overrides).costUsd).toBe(2.5);
  });

  it('rejects override keys without a provider', () => {
    expect(PriceOverrides.safeParse({ 'gpt-4o': { input: 1, output: 1, cacheRead: 1, cacheWrite: 1 } }).success).toBe(false);
  });
});
