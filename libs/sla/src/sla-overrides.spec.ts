import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@fr/config';
import { SlaService } from './sla.service';

describe('SLA overrides per category and unit', () => {
  let dir: string;
  let sut: SlaService;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fr-sla-'));
    cpSync(join(__dirname, '../../../config'), dir, { recursive: true });
    const file = join(dir, 'sla.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'overrides: []',
        [
          'overrides:',
          '  - { category: public_order, receive: { hours: 4 } }',
          '  - { category: public_order, unit: CONG_AN, receive: { hours: 2 } }',
          '  - { unit: Y_TE, resolve: { normal: { days: 3 } } }',
        ].join('\n'),
      ),
    );
    sut = new SlaService(loadConfig({ FR_CONFIG_DIR: dir }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const at = new Date('2026-12-01T01:00:00Z');

  it('takes the most specific entry', () => {
    expect(sut.receiveClock(at, { category: 'public_order', unit: 'CONG_AN' }).minutes).toBe(120);
    expect(sut.receiveClock(at, { category: 'public_order', unit: 'P_BACH_KHOA' }).minutes).toBe(240);
    expect(sut.receiveClock(at, { category: 'sanitation', unit: 'CONG_AN' }).minutes).toBe(480);
  });

  it('overrides only the severities it names', () => {
    expect(sut.resolveClock(at, 'normal', { category: 'food_safety_health', unit: 'Y_TE' }).minutes).toBe(3 * 480);
    expect(sut.resolveClock(at, 'urgent', { category: 'food_safety_health', unit: 'Y_TE' }).minutes).toBe(240);
    expect(sut.resolveClock(at, 'normal').minutes).toBe(5 * 480);
  });

  it('warns before a short stage ends: 75% of two minutes is 90 s, not rounded up to the deadline', () => {
    const clock = { stage: 'receive' as const, startedAt: at, minutes: 2, extensionMinutes: 0, unit: null };
    const { dueAt, warnAt } = sut.deadlines(clock, []);
    expect(dueAt).toEqual(new Date('2026-12-01T01:02:00Z'));
    expect(warnAt).toEqual(new Date('2026-12-01T01:01:30Z'));
  });
});
