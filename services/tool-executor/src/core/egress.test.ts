import { describe, expect, it } from 'vitest';
import { allowNamedHosts, allowNoPrivate, egressDecision, namesHost, specialRangeOf } from './egress.ts';

describe('specialRangeOf', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.10', 'reserved'],
    ['240.0.0.1', 'reserved'],
  ])('%s is %s', (address, range) => {
    expect(specialRangeOf(address)).toBe(range);
  });

  it('judges an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    expect(specialRangeOf('::ffff:127.0.0.1')).toBe('loopback');
    expect(specialRangeOf('::ffff:7f00:1')).toBe('loopback');
    expect(specialRangeOf('::ffff:a9fe:a9fe')).toBe('linkLocal');
    expect(specialRangeOf('::ffff:10.0.0.1')).toBe('private');
    expect(specialRangeOf('::ffff:8.8.8.8')).toBeUndefined();
  });

  it('refuses IPv6 outside global unicast, and the ranges that tunnel to IPv4', () => {
    expect(specialRangeOf('::7f00:1')).toBe('reserved');
    expect(specialRangeOf('4000::1')).toBe('reserved');
    expect(specialRangeOf('64:ff9b::7f00:1')).toBe('rfc6052');
    expect(specialRangeOf('2002:7f00:1::')).toBe('6to4');
    expect(specialRangeOf('2001:db8::1')).toBe('reserved');
  });

  it('takes public addresses as public', () => {
    expect(specialRangeOf('8.8.8.8')).toBeUndefined();
    expect(specialRangeOf('172.32.0.1')).toBeUndefined();
    expect(specialRangeOf('2606:4700::1111')).toBeUndefined();
  });

  it('takes what is not an address as not public', () => {
    expect(specialRangeOf('example.com')).toBe('invalid');
  });
});

describe('egressDecision', () => {
  it('connects to the first address when every address is public', () => {
    expect(egressDecision('example.com', ['93.184.215.14', '2606:2800:21f:cb07::1'], allowNoPrivate)).toEqual({ kind: 'connect', address: '93.184.215.14' });
  });

  it('refuses a host when any of its addresses is special', () => {
    expect(egressDecision('mixed.example', ['93.184.215.14', '127.0.0.1'], allowNoPrivate)).toEqual({
      kind: 'refuse',
      target: { host: 'mixed.example', address: '127.0.0.1', range: 'loopback' },
    });
  });

  it('connects to a special address a rule names, and to no other', () => {
    const allowed = ({ host, address }: { host: string; address: string }) => host === 'db.internal' && address === '10.0.0.5';
    expect(egressDecision('db.internal', ['10.0.0.5'], allowed)).toEqual({ kind: 'connect', address: '10.0.0.5' });
    expect(egressDecision('db.internal', ['10.0.0.6'], allowed)).toMatchObject({ kind: 'refuse' });
    expect(egressDecision('other.internal', ['10.0.0.5'], allowed)).toMatchObject({ kind: 'refuse' });
  });

  it('tells a rule which range the address is in', () => {
    const asked: string[] = [];
    egressDecision('metadata', ['169.254.169.254'], ({ range }) => (asked.push(range), false));
    expect(asked).toEqual(['linkLocal']);
  });
});

describe('allowNamedHosts', () => {
  const target = (host: string, address = host) => ({ host, address, range: 'loopback' });

  it('allows a host named outright, a name whatever its case and a literal in any of its forms', () => {
    const allows = allowNamedHosts(['DB.internal', '127.0.0.1', '[::1]', 'fd00:0:0::1']);
    expect([target('db.internal', '10.0.0.5'), target('127.0.0.1'), target('::1'), target('fd00::1'), target('[0:0:0:0:0:0:0:1]', '::1')].map(allows)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('allows no other host, not even one that resolves to a named address', () => {
    const allows = allowNamedHosts(['127.0.0.1', 'localhost', '2130706433']);
    expect([target('localhost.', '127.0.0.1'), target('db.internal', '127.0.0.1'), target('127.0.0.2'), target('::ffff:7f00:1')].map(allows)).toEqual([false, false, false, false]);
    expect(allowNamedHosts([])(target('127.0.0.1'))).toBe(false);
  });

  it('allows also what the other rule allows', () => {
    expect(allowNamedHosts([], ({ address }) => address === '10.0.0.1')(target('intranet', '10.0.0.1'))).toBe(true);
  });
});

describe('namesHost', () => {
  it('finds a host among the named ones whatever its case or literal form, and a name never by its address', () => {
    const named = ['DB.internal', '127.0.0.1', '[::1]'];
    expect(namesHost(named, 'db.INTERNAL')).toBe(true);
    expect(namesHost(named, '::1')).toBe(true);
    expect(namesHost(named, '0:0:0:0:0:0:0:1')).toBe(true);
    expect(namesHost(named, 'localhost')).toBe(false);
    expect(namesHost(named, 'evil.internal')).toBe(false);
    expect(namesHost([], '127.0.0.1')).toBe(false);
  });
});
