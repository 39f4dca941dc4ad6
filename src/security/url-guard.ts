// Outbound URL rule for webhooks and EHR endpoints (server-side request forgery): only http(s),
// and no host that resolves to a loopback, link-local, private, shared, multicast or
// unspecified address (RFC 6890 special-purpose registries) unless the host or a CIDR range
// covering its address is allow-listed. Every resolved address is checked, so a name with
// one public and one private address is refused.
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { OperationOutcomeError, forbidden } from '../fhir/index.ts';

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const REFUSED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  REFUSED.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96], ['100::', 64],
] as const) {
  REFUSED.addSubnet(network, prefix, 'ipv6');
}

const LOOKUP_TIMEOUT_MS = 3_000;

async function defaultResolver(host: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperationOutcomeError(forbidden('The URL host could not be resolved in time'))), LOOKUP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([dnsLookup(host, { all: true, verbatim: true }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when the address falls in a refused range; IPv4-mapped IPv6 addresses are checked as IPv4. */
export function isRefusedAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) {
    return REFUSED.check(mapped[1], 'ipv4');
  }
  const family = isIP(address);
  if (family === 0) {
    return true;
  }
  return REFUSED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

function allowListed(host: string, addresses: string[], allowList: readonly string[]): boolean {
  const ranges = new BlockList();
  let hasRanges = false;
  for (const entry of allowList) {
    if (entry.toLowerCase() === host) {
      return true;
    }
    const [network, prefix] = entry.split('/');
    const family = isIP(network);
    if (family) {
      ranges.addSubnet(network, prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
      hasRanges = true;
    }
  }
  return hasRanges && addresses.every((a) => ranges.check(a.replace(/^::ffff:/i, ''), isIP(a.replace(/^::ffff:/i, '')) === 6 ? 'ipv6' : 'ipv4'));
}

/**
 * Throws a 403 OperationOutcomeError when `url` may not be called. `allowList` holds host names
 * (exact) or addresses/CIDR ranges. The message names the reason, never the URL (it may carry
 * credentials in its query).
 */
export async function assertSafeUrl(url: string, allowList: readonly string[] = [], resolve: Resolver = defaultResolver): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OperationOutcomeError(forbidden('The URL is not a valid absolute URL'));
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new OperationOutcomeError(forbidden('Only http and https URLs may be called'));
  }
  if (parsed.username || parsed.password) {
    throw new OperationOutcomeError(forbidden('URLs with credentials in them are refused'));
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const addresses = isIP(host) ? [host] : (await resolve(host)).map((a) => a.address);
  if (addresses.length === 0) {
    throw new OperationOutcomeError(forbidden('The URL host does not resolve'));
  }
  if (allowListed(host, addresses, allowList)) {
    return;
  }
  if (addresses.some(isRefusedAddress)) {
    throw new OperationOutcomeError(forbidden('The URL resolves to a loopback, link-local or private address that is not allow-listed'));
  }
}

/** Redirects are followed only within the same origin (scheme, host, port). */
export function assertSameOriginRedirect(from: string, location: string): void {
  const target = new URL(location, from);
  if (target.origin !== new URL(from).origin) {
    throw new OperationOutcomeError(forbidden('A redirect to another host was refused'));
  }
}
