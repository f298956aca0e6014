import { isIP } from 'node:net';

/**
 * Addresses a webhook must not reach unless an operator allows them: loopback, private, link-local
 * (cloud metadata at 169.254.169.254), unique-local, unspecified, multicast and the like. Without this,
 * anyone allowed to register a webhook could make the server call its own internal services.
 *
 * IPv6 is read as its eight groups, whatever the spelling: the URL parser writes `[::ffff:127.0.0.1]`
 * as `[::ffff:7f00:1]`, and a check of the dotted form alone let that (and `::127.0.0.1`, and
 * 6to4 `2002:7f00:1::`) reach loopback and the metadata service. An address that carries an IPv4
 * address (mapped, compatible, translated, 6to4, NAT64) is judged by that address or refused.
 */
export function isInternalAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return internalV4(ip);
  if (v === 6) {
    const g = ipv6Groups(ip);
    return g === null || internalV6(g);
  }
  return true; // not an address at all: refuse
}

function internalV4(ip: string): boolean {
  const [a, b, c] = ip.split('.').map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    // 192.0.0.0/24 (protocol assignments) and 192.0.2.0/24 (documentation), not the rest of 192.0/16.
    (a === 192 && b === 0 && (c === 0 || c === 2)) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

function internalV6(g: readonly number[]): boolean {
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::ffff:0:0/96 (IPv4-mapped) and ::ffff:0:0:0/96 (IPv4-translated): the IPv4 address decides.
  if (zero(0, 5) && g[5] === 0xffff) return internalV4(v4Of(g[6], g[7]));
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return internalV4(v4Of(g[6], g[7]));
  // The rest of ::/8 (unspecified, loopback, IPv4-compatible, reserved): no public host there.
  if (g[0] < 0x100) return true;
  // 2002::/16 (6to4): the IPv4 address in the next two groups decides.
  if (g[0] === 0x2002) return internalV4(v4Of(g[1], g[2]));
  // 64:ff9b::/96 and 64:ff9b:1::/48 (NAT64) reach IPv4 through a translator: refused.
  if (g[0] === 0x64 && g[1] === 0xff9b) return true;
  // 2001::/32 (Teredo, a tunnel to IPv4) and 2001:db8::/32 (documentation).
  if (g[0] === 0x2001 && (g[1] === 0 || g[1] === 0xdb8)) return true;
  // 100::/64 (discard only).
  if (g[0] === 0x100 && zero(1, 4)) return true;
  if ((g[0] & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
  if ((g[0] & 0xffc0) === 0xfe80) return true; // fe80::/10 link local
  if ((g[0] & 0xffc0) === 0xfec0) return true; // fec0::/10 site local (deprecated)
  if ((g[0] & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  return false;
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a trailing dotted IPv4 read as two groups, a zone dropped). */
export function ipv6Groups(ip: string): number[] | null {
  let s = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    if (isIP(dotted[1]) !== 4) return null;
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const part = (h: string) => (h === '' ? [] : h.split(':'));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((x) => !/^[0-9a-f]{1,4}$/.test(x))) return null;
  return groups.map((x) => parseInt(x, 16));
}

/**
 * Whether FR_WEBHOOK_ALLOW_HOSTS lets `url` reach an internal address. An entry `host` allows every
 * port of that host; `host:port` (`[v6]:port` for an IPv6 address) that port only, so allowing one
 * receiver on an internal machine does not open its other services (a database, Redis, an admin port)
 * to whoever may register webhooks.
 */
export function isAllowListed(url: URL, allowHosts: readonly string[]): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowHosts.some((entry) => {
    const e = allowEntry(entry);
    return e.host === host && (e.port === null || e.port === port);
  });
}

/** `host`, `host:port`, `v6`, `[v6]` or `[v6]:port`, host in lower case. */
export function allowEntry(entry: string): { host: string; port: string | null } {
  const e = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ?? null };
  // Two colons or more and no brackets: an IPv6 address without a port.
  if (e.indexOf(':') !== e.lastIndexOf(':')) return { host: e, port: null };
  const withPort = /^(.+):(\d+)$/.exec(e);
  return withPort ? { host: withPort[1], port: withPort[2] } : { host: e, port: null };
}

/** The first of `addresses` a webhook must not reach (isInternalAddress), if any. */
export function firstInternalAddress(addresses: readonly { address: string }[]): string | undefined {
  return addresses.find((a) => isInternalAddress(a.address))?.address;
}
