import { parseRedisUrl, redact } from './redis-url';

describe(parseRedisUrl.name, () => {
  it('reads a single server with a password and a database', () => {
    expect(parseRedisUrl('redis://:p%40ss@redis:6380/2')).toEqual({
      kind: 'single',
      host: 'redis',
      port: 6380,
      username: undefined,
      password: 'p@ss',
      db: 2,
      tls: false,
    });
    expect(parseRedisUrl('rediss://app:pw@r.example')).toMatchObject({ kind: 'single', port: 6379, username: 'app', password: 'pw', db: 0, tls: true });
  });

  it('reads Sentinels, the master name, the password and the database', () => {
    expect(parseRedisUrl('redis+sentinel://:s3cret@sentinel-1:26379,sentinel-2,10.0.0.3:26380/mymaster/1?sentinelPassword=sp')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: 'sentinel-2', port: 26379 },
        { host: '10.0.0.3', port: 26380 },
      ],
      name: 'mymaster',
      username: undefined,
      password: 's3cret',
      sentinelPassword: 'sp',
      db: 1,
      tls: false,
    });
    expect(parseRedisUrl('redis+sentinel://s:26379/m')).toMatchObject({
      kind: 'sentinel',
      sentinels: [{ host: 's', port: 26379 }],
      name: 'm',
      db: 0,
      password: undefined,
    });
  });

  it('reads the seed nodes of a Redis Cluster', () => {
    expect(parseRedisUrl('redis+cluster://:pw@n1:7000,n2:7001,n3')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
        { host: 'n3', port: 6379 },
      ],
      username: undefined,
      password: 'pw',
      tls: false,
    });
  });

  it('refuses what it cannot use, without echoing the password', () => {
    expect(() => parseRedisUrl('http://x')).toThrow(/must use redis:, rediss:, redis\+sentinel: or redis\+cluster:/);
    expect(() => parseRedisUrl('redis+sentinel://:pw@s:26379')).toThrow();
    expect(() => parseRedisUrl('redis://:pw@r/99')).toThrow(/0-15 in 'redis:\/\/:\*\*\*@r\/99'/);
    expect(redact('redis://u:secret@h:1')).toBe('redis://u:***@h:1');
  });
});
