import { mayManageAbsences, toAbsenceView } from './absence-view';

describe(mayManageAbsences.name, () => {
  const officer = { id: 'o1', unit_code: 'P_BACH_KHOA' };
  it.each([
    [{ id: 'o1', role: 'HANDLER', unitCode: 'P_BACH_KHOA' }, true],
    [{ id: 'l1', role: 'LEADER', unitCode: 'P_BACH_KHOA' }, true],
    [{ id: 'a1', role: 'ADMIN', unitCode: 'VP' }, true],
    [{ id: 'l2', role: 'LEADER', unitCode: 'P_THANH_NHAN' }, false],
    [{ id: 'h2', role: 'HANDLER', unitCode: 'P_BACH_KHOA' }, false],
    [{ id: 's1', role: 'SUPERVISOR', unitCode: 'VP' }, false],
  ] as const)('%j -> %s', (actor, expected) => expect(mayManageAbsences(actor, officer)).toBe(expected));
});

describe(toAbsenceView.name, () => {
  const row = {
    id: '7',
    officer_id: 'o1',
    starts_at: new Date('2026-03-02T03:00:00Z'),
    ends_at: new Date('2026-03-04T01:00:00Z'),
    cover_id: 'o2',
    cover_name: 'Cán bộ',
    cancelled_at: null,
  };
  it('is current from its start, up to but not at its end', () => {
    expect(toAbsenceView(row, new Date('2026-03-02T02:59:59Z')).current).toBe(false);
    expect(toAbsenceView(row, new Date('2026-03-02T03:00:00Z')).current).toBe(true);
    expect(toAbsenceView(row, new Date('2026-03-04T01:00:00Z')).current).toBe(false);
  });
  it('is not current once cancelled', () => {
    expect(toAbsenceView({ ...row, cancelled_at: new Date('2026-03-02T04:00:00Z') }, new Date('2026-03-03T00:00:00Z')).current).toBe(false);
  });
});
