import { adminToken, bearer, DEV_KEYS, submitRouted, TestEngine } from '@fr/testing';

/**
 * An outside tester's attacks on the case state machine and on reorganisations, each found to go
 * wrong on a running engine and kept here once fixed.
 */

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

describe('attacks on reorganisations', () => {
  let engine: TestEngine;
  let admin: string;

  beforeAll(async () => {
    engine = await TestEngine.start();
    admin = await adminToken(engine);
  });
  afterAll(() => engine?.close());

  it.each([['.*.*.*.*.*.*!'], ['\\s*\\d+\\s*\\d+\\s*!'], ['.{0,60}.{0,60}.{0,60}!']])(
    'refuses a split pattern %s whose adjacent repetitions make matching take a high power of the address length',
    async (pattern) => {
      // Passed the old guard (it looked only for a repeated group that repeats inside): a dry run over one
      // open case of 58 characters of address froze the API for 20 s, every request with it; once scheduled,
      // the worker ran it on every address citizens write of the ward (500 characters: hours).
      await submitRouted(engine, KEY, {
        category: 'sidewalk_encroachment',
        description: 'Quán nước lấn chiếm vỉa hè, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'CAU_DEN', address: 'ngõ 12 phố Nguyễn Huy Tự, cuối ngõ' },
      });
      const plan = {
        name: 'Chia phường Cầu Dền',
        effectiveAt: new Date(Date.now() + 86_400_000).toISOString(),
        splits: [
          {
            unit: 'P_CAU_DEN',
            into: [
              { unit: 'P_BACH_KHOA', patterns: [pattern] },
              { unit: 'P_BACH_MAI', streets: ['Kim Ngưu'] },
            ],
            fallback: 'P_BACH_MAI',
          },
        ],
      };
      const started = Date.now();
      const res = await engine.http().post('/v1/reorganisations?dryRun=true').set(bearer(admin)).send(plan);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(res.status).toBe(400);
      const body = res.body as { message: string; errors: { field: string }[] };
      expect(body.message).toContain(`'${pattern}' repeats`);
      expect(body.errors.map((e) => e.field)).toContain('splits[0].into[0].patterns');
    },
  );

  it('still accepts a street pattern with two repetitions apart', async () => {
    const plan = {
      name: 'Chia phường Cầu Dền',
      effectiveAt: new Date(Date.now() + 86_400_000).toISOString(),
      splits: [
        {
          unit: 'P_CAU_DEN',
          into: [
            { unit: 'P_BACH_KHOA', patterns: ['[0-9]+ (ngo|ngach) [0-9]+'] },
            { unit: 'P_BACH_MAI', streets: ['Kim Ngưu'] },
          ],
          fallback: 'P_BACH_MAI',
        },
      ],
    };
    const res = await engine.http().post('/v1/reorganisations?dryRun=true').set(bearer(admin)).send(plan);
    expect(res.status).toBe(200);
  });
});
