import { describe, expect, it } from 'vitest';
import { classifyAddress, contactProblem, isContactable } from '../../../lib/net/public-address.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['64:ff9b::7f00:1', 'reserved'],
    ['2002:7f00:1::1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['localhost', 'not-an-ip'],
    ['127.1', 'not-an-ip'],
    ['0x7f.0.0.1', 'not-an-ip'],
    ['[::1]', 'not-an-ip'],
    ['fe80::1%eth0', 'not-an-ip'],
    ['', 'not-an-ip'],
  ])('%s is %s', (ip, kind) => {
    // Prepare / Act / Assess
    expect(classifyAddress(ip)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (ip) => {
      // Prepare / Act / Assess
      expect(classifyAddress(ip)).toBe('public');
      expect(isContactable(ip)).toBe(true);
    },
  );
});

describe('contactProblem', () => {
  it('names the class, never the address', () => {
    // Prepare / Act
    const problem = contactProblem('169.254.169.254');
    // Assess
    expect(problem).toBe('axon address is not public (link-local)');
  });

  it('lets only the harness switch through private addresses, never a non-IP', () => {
    // Prepare
    const harness = { allowPrivateAddresses: true };
    // Act / Assess
    expect(contactProblem('127.0.0.1', harness)).toBeNull();
    expect(contactProblem('localhost', harness)).toBe('axon address is not public (not-an-ip)');
    expect(contactProblem('127.0.0.1', { allowPrivateAddresses: false })).not.toBeNull();
  });
});
