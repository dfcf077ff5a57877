/**
 * Outgoing-connection guard for requests the relay makes on a client's behalf (Web Push endpoints).
 * The check runs inside the socket's DNS `lookup`, i.e. on the address actually connected to, so a
 * name that resolves (or re-resolves: DNS rebinding) to the relay's own network is refused.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/** Not globally reachable (RFC 6890 special-purpose registries, plus multicast and reserved). */
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network", incl. the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local (cloud metadata services)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4] // reserved, incl. broadcast
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible (IPv4-mapped ::ffff:0:0/96 is checked by BlockList against the IPv4 list)
  ['64:ff9b::', 96], // NAT64: would reach any IPv4 address, internal ones included
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8] // multicast
] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

/** True for any address that is not a public unicast address (or not an address at all). */
export function isInternalAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets, zone id
  const family = isIP(bare);
  if (family === 0) return true;
  return INTERNAL.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

export class RefusedAddressError extends Error {
  readonly code = 'ERR_REFUSED_ADDRESS';
  constructor(hostname: string, address: string) {
    super(`${hostname} resolves to ${address}, which is not a public address`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** The `lookup` option of net.connect / http.request. */
export type LookupFn = (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback) => void;

export interface GuardOptions {
  /** Loopback addresses are allowed (PUSH_ALLOW_INSECURE, tests only). */
  allowLoopback?: boolean;
  /** The resolver to filter; dns.lookup by default (tests inject one). */
  resolve?: (hostname: string, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
}

const systemResolve: NonNullable<GuardOptions['resolve']> = (hostname, cb) =>
  dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => cb(err, addresses ?? []));

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
const isLoopback = (address: string) => {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

/**
 * A `lookup` that resolves every address of the name and fails the connection if ANY of them is
 * internal (refusing only the bad ones would still let an attacker's name steer some attempts).
 */
export function guardedLookup(opts: GuardOptions = {}): LookupFn {
  const resolve = opts.resolve ?? systemResolve;
  return (hostname, options, callback) => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const family = typeof options === 'object' && options ? options.family : undefined;
      const wanted = addresses.filter((a) => !family || a.family === family);
      if (wanted.length === 0) {
        const e: NodeJS.ErrnoException = new Error(`${hostname} has no usable address`);
        e.code = 'ENOTFOUND';
        return callback(e, '', 0);
      }
      const bad = wanted.find((a) => isInternalAddress(a.address) && !(opts.allowLoopback && isLoopback(a.address)));
      if (bad) return callback(new RefusedAddressError(hostname, bad.address), '', 0);
      if (typeof options === 'object' && options && 'all' in options && options.all) return callback(null, wanted);
      callback(null, wanted[0].address, wanted[0].family);
    });
  };
}
