import { DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';

jest.setTimeout(60_000);

const NAME = 'Hà Thị Minh Nguyệt';
const PHONE = '0986 204 517';

/**
 * A case whose address routing cannot place goes to triage with the reason in its `route_to_triage` event,
 * a column of the append-only chain, which retention can never erase. Citizens write their name and number
 * into the address ("…, phường Kim Liên nhà chị Nguyệt 0986…"): the reason says what routing found, in the
 * system's words, and quotes none of the address.
 */
describe("the routing's triage reason in the audit trail", () => {
  let engine: TestEngine;

  beforeAll(async () => {
    engine = await TestEngine.start();
  });
  afterAll(() => engine?.close());

  it.each([
    ['a ward of another district', `Ngõ 5, phường Kim Liên nhà chị ${NAME} sđt ${PHONE}`],
    ['another district', `Số 3 Lê Duẩn, quận Đống Đa nhà ${NAME} ${PHONE}`],
    ['another province', `12 Lạc Trung, tỉnh Hà Nam nhà ${NAME} ${PHONE}`],
  ])('quotes none of an address naming %s', async (_where, address) => {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({ category: 'sanitation', description: 'Rác thải ùn ứ nhiều ngày đầu ngõ.', location: { address }, citizen: { name: NAME, phone: PHONE } });
    expect(res.status).toBe(202);
    const { id } = res.body as FeedbackAcceptedDto;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      (r) => r[0].status === 'triage',
      { what: 'routing to triage' },
    );
    const [event] = await engine.query<{ reason: string; data: string }>(
      `SELECT reason, data::text AS data FROM audit_events WHERE case_id = $1 AND action = 'route_to_triage'`,
      [id],
    );
    expect(event.reason).toMatch(/the ward is unknown/);
    for (const chained of [event.reason, event.data]) {
      for (const secret of [NAME, PHONE, PHONE.replace(/ /g, ''), 'Kim Liên', 'Lê Duẩn', 'Lạc Trung']) expect(chained).not.toContain(secret);
    }
  });
});
