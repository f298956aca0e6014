import { isIP } from 'node:net';

/**
 * Addresses a webhook must not reach unless an operator allows them: loopback, private, link-local
 * (cloud metadata at 169.254.169.254), unique-local, unspecified, multicast and the like. Without this,
 * anyone allowed to register a webhook could make the server call its own internal services.
 */
export function isInternalAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return internalV4(ip);
  if (v === 6) {
    const lower = ip.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return internalV4(mapped[1]);
    if (lower === '::' || lower === '::1') return true;
    const first = parseInt(lower.split(':')[0] || '0', 16);
    if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 unique local
    if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link local
    if ((first & 0xff00) === 0xff00) return true; // multicast
    if (lower.startsWith('64:ff9b:') || lower.startsWith('2001:db8:')) return true;
    return false;
  }
  return true; // not an address at all: refuse
}

function internalV4(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}
