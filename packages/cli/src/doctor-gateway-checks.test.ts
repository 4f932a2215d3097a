import { describe, expect, it } from 'vitest';
import { gatewayFindings, isLoopback, type GatewayFacts } from './doctor-gateway-checks.ts';

const fine: GatewayFacts = { host: '127.0.0.1', port: 8470, consoleDir: '/srv/console', consoleBuilt: true, tokenScopes: [['admin'], ['read']] };

describe('doctor on the gateway', () => {
  it('is content with a loopback gateway, an admin token and a built console', () => {
    expect(gatewayFindings(fine)).toEqual([{ level: 'ok', message: expect.stringContaining('http://127.0.0.1:8470/ on loopback, 2 token(s)') }]);
  });

  it('warns of a gateway listening beyond this machine, naming the fix', () => {
    expect(gatewayFindings({ ...fine, host: '0.0.0.0' })).toEqual([{ level: 'warn', message: expect.stringMatching(/0\.0\.0\.0:8470.*reverse proxy.*SIGNALBOX_GATEWAY_HOST=127\.0\.0\.1/) }]);
  });

  it('warns when no token may administer, and not before the tokens bucket exists', () => {
    expect(gatewayFindings({ ...fine, tokenScopes: [['read', 'submit']] })).toEqual([{ level: 'warn', message: expect.stringContaining('signalbox tokens create admin --scopes admin') }]);
  });

  it('says nothing of a gateway without tokens (none may run), unless it listens beyond loopback', () => {
    expect(gatewayFindings({ ...fine, tokenScopes: [], consoleBuilt: false })).toEqual([]);
    const { tokenScopes: _none, ...noBucket } = fine;
    expect(gatewayFindings(noBucket)).toEqual([]);
    expect(gatewayFindings({ ...noBucket, host: '0.0.0.0' })).toHaveLength(1);
  });

  it('warns when the console is not built', () => {
    expect(gatewayFindings({ ...fine, consoleBuilt: false })).toEqual([{ level: 'warn', message: expect.stringContaining('no index.html in /srv/console') }]);
  });

  it('knows loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com', '127.0.0.1.example.com'].some(isLoopback)).toBe(false);
  });
});
