import { Cluster } from 'ioredis';
import { createRedisClient, queueConnection, redisOptions } from './redis-connection';

describe(redisOptions.name, () => {
  it('gives ioredis a password-protected single server', () => {
    expect(redisOptions('redis://:pw@redis:6379/0', 'producer')).toMatchObject({
      host: 'redis',
      port: 6379,
      password: 'pw',
      db: 0,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
  });

  it('gives ioredis the Sentinels and the master name of a redis+sentinel URL', () => {
    const sut = redisOptions('redis+sentinel://:pw@s1:26379,s2:26379/mymaster', 'worker');
    expect(sut).toMatchObject({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      password: 'pw',
      maxRetriesPerRequest: null,
    });
    expect(sut.host).toBeUndefined();
  });

  it('gives a Cluster client, password on every node, for a redis+cluster URL; one server stays options', () => {
    const sut = createRedisClient('redis+cluster://:pw@n1:7000,n2:7001', 'producer', { lazyConnect: true });
    try {
      expect(sut).toBeInstanceOf(Cluster);
      expect((sut as Cluster).options.redisOptions).toMatchObject({ password: 'pw', maxRetriesPerRequest: 1 });
    } finally {
      sut.disconnect();
    }
    expect(queueConnection('redis://:pw@r:6379')).toMatchObject({ host: 'r', password: 'pw', maxRetriesPerRequest: null });
  });
});
