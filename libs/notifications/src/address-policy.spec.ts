import { ipv6Groups, isInternalAddress } from './address-policy';

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
