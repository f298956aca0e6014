import type { BoardReport } from '@fr/board';
import { renderBoardView } from './board-page';

const report = (unitName: string, targetName: string): BoardReport => ({
  at: '2026-07-26T02:00:00.000Z',
  from: null,
  targets: [
    {
      id: 'onboarding',
      kind: 'staff_onboarding',
      name: targetName,
      dueAt: '2026-07-25T17:00:00.000Z',
      startsAt: null,
      thresholdPercent: 100,
      everyDays: null,
      atRiskDays: null,
      unitKinds: ['ward'],
      unitCodes: null,
      active: true,
      summary: { on_track: 0, at_risk: 0, late: 1 },
    },
  ],
  units: [
    {
      unitCode: 'P_X',
      unitName,
      kind: 'ward',
      targets: [
        {
          targetId: 'onboarding',
          kind: 'staff_onboarding',
          status: 'late',
          value: 97,
          target: 100,
          dueAt: '2026-07-25T17:00:00.000Z',
          dueDate: '2026-07-25',
          met: false,
          metAt: null,
        },
      ],
    },
  ],
});

describe(renderBoardView.name, () => {
  it('renders a unit and target in Vietnamese with the deadline as people write it', () => {
    const html = renderBoardView(report('Phường Bách Khoa', '100% cán bộ có tài khoản'));
    expect(html).toContain('Đánh giá lúc 09:00 26/07/2026');
    expect(html).toContain(
      '<td class="status late" data-target="onboarding" data-status="late"><span class="label">Trễ hạn</span><br>97% / 100%<br><small>hạn 25/07/2026</small></td>',
    );
    expect(html).toContain('hạn 25/07/2026</small></th>');
    expect(html).toMatch(/<svg role="img" aria-label="100% cán bộ có tài khoản"/);
  });

  it('escapes every name it shows, so data can never become markup', () => {
    const html = renderBoardView(report('<script>alert(1)</script>', 'A "quoted" & <b>bold</b> target'));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('A &quot;quoted&quot; &amp; &lt;b&gt;bold&lt;/b&gt; target');
  });

  it('says so when no target is followed', () => {
    expect(renderBoardView({ at: '2026-07-26T02:00:00.000Z', from: null, targets: [], units: [] })).toContain('Chưa có chỉ tiêu nào đang theo dõi');
  });
});
