import { describe, expect, it } from 'vitest';
import { endpointPlace, isPrivateHost } from './endpoint-place.ts';

describe("where a provider's calls go", () => {
  it('is local for scripted, and for an endpoint on a loopback or private address', () => {
    expect(endpointPlace('scripted', undefined)).toEqual({ local: true, provider: 'scripted' });
    expect(endpointPlace('ollama', { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1' })).toEqual({ local: true, provider: 'ollama at 127.0.0.1:11434' });
    expect(endpointPlace('lab', { kind: 'openai-compatible', baseURL: 'http://10.1.2.3:8000/v1' })).toMatchObject({ local: true });
  });

  it('is remote for the public APIs, any other host name, and a provider not configured', () => {
    expect(endpointPlace('anthropic', { kind: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY' })).toEqual({ local: false, provider: 'anthropic at api.anthropic.com' });
    expect(endpointPlace('proxy', { kind: 'openai-compatible', baseURL: 'https://llm.internal.example/v1' })).toMatchObject({ local: false });
    expect(endpointPlace('nowhere', undefined)).toEqual({ local: false, provider: 'nowhere' });
  });

  it('knows the loopback, private and link-local ranges, and nothing past them', () => {
    for (const host of ['localhost:8080', '127.0.0.2', '10.0.0.1', '172.16.0.1', '172.31.255.1', '192.168.1.1', '169.254.1.1', '[::1]:11434', '[fd12:3456::1]', '[fe80::1]']) expect(isPrivateHost(host), host).toBe(true);
    for (const host of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '11.0.0.1', '[2001:db8::1]', 'localhost.example.com', '127.0.0.1.nip.io']) expect(isPrivateHost(host), host).toBe(false);
  });
});
