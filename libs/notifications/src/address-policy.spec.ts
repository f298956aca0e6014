import { allowEntry, ipv6Groups, isAllowListed, isInternalAddress } from './address-policy';

describe(isInternalAddress.name, () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '224.0.0.1',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    // The URL parser's spelling of [::ffff:127.0.0.1] and [::ffff:169.254.169.254], and other forms that carry IPv4.
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '0:0:0:0:0:ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    '::127.0.0.1',
    '::7f00:1',
    '::169.254.169.254',
    '::ffff:0:7f00:1',
    '2002:7f00:1::',
    '2002:a9fe:a9fe::1',
    '64:ff9b::7f00:1',
    '64:ff9b:1::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '2001:db8::1',
    'fec0::1',
    'ff02::1',
    '100::1',
    '::1:7f00:1',
    '::1:0:1',
    '192.0.0.8',
    '192.0.2.10',
    'FE80::1%eth0',
    'not-an-ip',
  ])('refuses %s', (ip) => expect(isInternalAddress(ip)).toBe(true));
  it.each([
    '8.8.8.8',
    '203.113.131.1',
    '172.32.0.1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '2002:808:808::1',
    '2404:6800:4005:80a::200e',
  ])('allows %s', (ip) => expect(isInternalAddress(ip)).toBe(false));
});

describe(ipv6Groups.name, () => {
  it.each([
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['::ffff:127.0.0.1', [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ['2001:db8::', [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
  ])('reads %s', (ip, groups) => expect(ipv6Groups(ip)).toEqual(groups));
  it.each(['1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3', '::ffff:1.2.3.256', 'g::1', '1:2:3:4:5:6:7::8'])('refuses %s', (ip) => expect(ipv6Groups(ip)).toBeNull());
});

describe(isAllowListed.name, () => {
  const allowed = (url: string, entries: string[]) => isAllowListed(new URL(url), entries);

  it('allows every port of a bare host, and only its own port to host:port', () => {
    expect(allowed('http://10.0.0.5:8080/hook', ['10.0.0.5'])).toBe(true);
    expect(allowed('http://10.0.0.5:6379/', ['10.0.0.5'])).toBe(true);
    expect(allowed('http://10.0.0.5:8080/hook', ['10.0.0.5:8080'])).toBe(true);
    expect(allowed('http://10.0.0.5:6379/', ['10.0.0.5:8080'])).toBe(false);
    expect(allowed('http://10.0.0.6:8080/', ['10.0.0.5:8080'])).toBe(false);
  });

  it('counts the scheme’s default port, and reads names in any case', () => {
    expect(allowed('https://Hooks.Internal/x', ['hooks.internal:443'])).toBe(true);
    expect(allowed('http://hooks.internal/x', ['HOOKS.INTERNAL:80'])).toBe(true);
    expect(allowed('http://hooks.internal/x', ['hooks.internal:443'])).toBe(false);
  });

  it('reads IPv6 entries with and without brackets and port', () => {
    expect(allowed('http://[fd00::5]:8080/', ['fd00::5'])).toBe(true);
    expect(allowed('http://[fd00::5]:8080/', ['[fd00::5]'])).toBe(true);
    expect(allowed('http://[fd00::5]:8080/', ['[fd00::5]:8080'])).toBe(true);
    expect(allowed('http://[fd00::5]:9090/', ['[fd00::5]:8080'])).toBe(false);
    expect(allowEntry('[::1]:3000')).toEqual({ host: '::1', port: '3000' });
  });
});
