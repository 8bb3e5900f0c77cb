import { BlockList, isIP } from 'node:net';

/**
 * Which axon addresses we may contact. An axon IP comes from the chain, i.e. from the miner: a
 * loopback, private or metadata address would make our own account's services the target of a
 * request or an SSH connection (request forgery). Only IP literals are accepted, never names, so no
 * DNS answer can redirect a checked address.
 */
export type AddressClass =
  | 'public'
  | 'not-an-ip'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'documentation'
  | 'reserved';

/**
 * The local harness's simulated miners listen on 127.0.0.1. Only code that builds a harness passes
 * this switch (as an option, never from the environment), so a deployed stack cannot turn it on.
 */
export interface AddressPolicy {
  readonly allowPrivateAddresses?: boolean | undefined;
}

const RANGES: readonly [Exclude<AddressClass, 'public' | 'not-an-ip'>, string, number, 'ipv4' | 'ipv6'][] = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'],
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['cgnat', '100.64.0.0', 10, 'ipv4'],
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'],
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['documentation', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '192.88.99.0', 24, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['documentation', '198.51.100.0', 24, 'ipv4'],
  ['documentation', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'],
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  // NAT64, discard, IETF assignments (Teredo), 6to4: each can lead to an arbitrary IPv4 address
  ['reserved', '64:ff9b::', 96, 'ipv6'],
  ['reserved', '64:ff9b:1::', 48, 'ipv6'],
  ['reserved', '100::', 64, 'ipv6'],
  ['reserved', '2001::', 23, 'ipv6'],
  ['documentation', '2001:db8::', 32, 'ipv6'],
  ['reserved', '2002::', 16, 'ipv6'],
  ['documentation', '3fff::', 20, 'ipv6'],
  ['private', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['private', 'fec0::', 10, 'ipv6'],
  ['multicast', 'ff00::', 8, 'ipv6'],
];

const LISTS = new Map<AddressClass, BlockList>();
for (const [kind, network, prefix, family] of RANGES) {
  let list = LISTS.get(kind);
  if (list === undefined) {
    list = new BlockList();
    LISTS.set(kind, list);
  }
  list.addSubnet(network, prefix, family);
}
const GLOBAL_UNICAST_V6 = new BlockList();
GLOBAL_UNICAST_V6.addSubnet('2000::', 3, 'ipv6');

/** `::ffff:a.b.c.d` / `::ffff:XXXX:XXXX` → `a.b.c.d`, else null. */
function mappedIpv4(ip: string): string | null {
  const m = /^::ffff:(?:0+:)?(.+)$/i.exec(ip);
  if (m === null) return null;
  const tail = m[1] ?? '';
  if (isIP(tail) === 4) return tail;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(tail);
  if (hex === null) return null;
  const hi = Number.parseInt(hex[1] ?? '0', 16);
  const lo = Number.parseInt(hex[2] ?? '0', 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Classifies an axon IP (IPv4 or IPv6 literal); anything but `public` must not be contacted. */
export function classifyAddress(ip: string): AddressClass {
  const family = isIP(ip);
  if (family === 0 || ip.includes('%')) return 'not-an-ip';
  if (family === 6) {
    const v4 = mappedIpv4(ip);
    if (v4 !== null) return classifyAddress(v4);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of LISTS) if (list.check(ip, type)) return kind;
  // IPv4-mapped forms BlockList matches are handled above; every other IPv6 outside 2000::/3 is unassigned
  if (family === 6 && !GLOBAL_UNICAST_V6.check(ip, 'ipv6')) return 'reserved';
  return 'public';
}

/** True when `ip` may be contacted under `policy`. */
export function isContactable(ip: string, policy: AddressPolicy = {}): boolean {
  const kind = classifyAddress(ip);
  return kind === 'public' || (policy.allowPrivateAddresses === true && kind !== 'not-an-ip');
}

/** Why `ip` may not be contacted under `policy` (names the class, never the address), or null. */
export function contactProblem(ip: string, policy: AddressPolicy = {}): string | null {
  return isContactable(ip, policy) ? null : `axon address is not public (${classifyAddress(ip)})`;
}
