import { describe, expect, it } from 'vitest';
import { decideAccess, type Caller, type Needed, type Presented } from './access.ts';

const reader: Caller = { name: 'dash', scopes: ['read'] };
const admin: Caller = { name: 'root', scopes: ['admin'] };
const bearer: Presented = { via: 'bearer' };
const cookieWithCsrf: Presented = { via: 'cookie', csrfMatches: true };
const cookieWithoutCsrf: Presented = { via: 'cookie', csrfMatches: false };

function decision(needed: Needed, presented: Presented, caller: Caller | undefined, method = 'GET') {
  return decideAccess({ needed, method, presented, caller });
}

describe('who may do what through the gateway', () => {
  it('lets anyone reach a route that needs nothing (login, health, the API document)', () => {
    expect(decision('none', { via: 'none' }, undefined)).toEqual({ kind: 'allowed' });
  });

  it('refuses a request without a token: 401, saying how to send one', () => {
    expect(decision('read', { via: 'none' }, undefined, 'GET')).toMatchObject({ kind: 'refused', status: 401, code: 'unauthenticated' });
  });

  it('refuses an unknown or revoked token: 401', () => {
    expect(decision('read', bearer, undefined)).toMatchObject({ kind: 'refused', status: 401, code: 'invalid_token' });
    expect(decision('any', cookieWithCsrf, undefined)).toMatchObject({ kind: 'refused', status: 401, code: 'invalid_token' });
  });

  it('refuses a token without the scope: 403, naming the scope', () => {
    const refused = decision('submit', bearer, reader, 'POST');
    expect(refused).toMatchObject({ kind: 'refused', status: 403, code: 'insufficient_scope' });
    expect(refused.kind === 'refused' && refused.message).toContain('"submit"');
  });

  it('lets admin do everything, and every token reach `any`', () => {
    for (const needed of ['read', 'submit', 'approve', 'admin', 'any'] as const) expect(decision(needed, bearer, admin, 'POST')).toEqual({ kind: 'allowed' });
    expect(decision('any', bearer, reader)).toEqual({ kind: 'allowed' });
  });

  it('refuses a cookie request that changes something without the CSRF header: 403', () => {
    expect(decision('read', cookieWithoutCsrf, admin, 'POST')).toMatchObject({ kind: 'refused', status: 403, code: 'csrf' });
    expect(decision('any', cookieWithoutCsrf, admin, 'DELETE')).toMatchObject({ kind: 'refused', status: 403, code: 'csrf' });
  });

  it('checks CSRF before scope, so a forged request learns nothing of the token', () => {
    expect(decision('admin', cookieWithoutCsrf, reader, 'POST')).toMatchObject({ code: 'csrf' });
  });

  it('lets a cookie read without the CSRF header, and change with it', () => {
    expect(decision('read', cookieWithoutCsrf, reader, 'GET')).toEqual({ kind: 'allowed' });
    expect(decision('admin', cookieWithCsrf, admin, 'POST')).toEqual({ kind: 'allowed' });
  });

  it('asks no CSRF header of a bearer request: another site cannot make a browser send one', () => {
    expect(decision('submit', bearer, admin, 'POST')).toEqual({ kind: 'allowed' });
  });
});
