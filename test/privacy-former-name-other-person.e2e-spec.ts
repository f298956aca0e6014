import { DEV_KEYS, submitRouted, TestEngine } from '@fr/testing';
import type { SubjectRequestViewDto } from '../apps/api/src/privacy/subject-request.dto';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** A family's one phone: the father's case, and the son's account. */
const PHONE = '0978456781';
const FATHER = 'Trịnh Văn Hùng';
const SON = 'Trịnh Văn Minh';

/**
 * A former name is the requester's only while the case's current name is no one else's on the phone: the
 * hotline typed the son's name on the father's call, the son corrected it to his father's (whose own case
 * holds that name), and the case is the father's since. Asking by his own name, the son saw the father's
 * case again, and could erase its contact details or rename it.
 */
describe("a subject request by a former name that another person's name replaced", () => {
  let engine: TestEngine;
  const cases: Record<string, { id: string; trackingCode: string }> = {};

  const submit = (name: string, description: string) =>
    submitRouted(engine, KEY, {
      category: 'sidewalk_encroachment',
      description,
      location: { wardCode: 'BACH_KHOA' },
      citizen: { name, phone: PHONE },
    });
  const request = (body: Record<string, unknown>) => engine.http().post('/v1/privacy/requests').set(KEY).send(body);
  const codes = (...keys: string[]) => keys.map((k) => cases[k].trackingCode).sort();
  const found = (body: unknown) => [...(body as SubjectRequestViewDto).trackingCodes].sort();

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_PRIVACY_LIMIT_PER_CHANNEL: '200' } });
    cases.father = await submit(FATHER, 'Hàng quán lấn chiếm vỉa hè ngõ 21 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.');
    cases.misnamed = await submit(SON, 'Xe tải đỗ trên vỉa hè trước số 52 Tạ Quang Bửu suốt đêm, chắn lối vào nhà.');
    cases.son = await submit(SON, 'Biển quảng cáo lấn chiếm vỉa hè đầu ngõ 34 Tạ Quang Bửu.');
    const corrected = await request({ kind: 'correct', phone: PHONE, name: SON, trackingCodes: [cases.misnamed.trackingCode], corrections: { name: FATHER } });
    expect(corrected.status).toBe(201);
  });
  afterAll(() => engine?.close());

  it("the son's request by his name reaches his own case only, not the one now his father's", async () => {
    const access = await request({ kind: 'access', phone: PHONE, name: SON });
    expect(access.status).toBe(201);
    expect(found(access.body)).toEqual(codes('son'));
  });

  it("the father's request by his name reaches both of his", async () => {
    const access = await request({ kind: 'access', phone: PHONE, name: FATHER });
    expect(access.status).toBe(201);
    expect(found(access.body)).toEqual(codes('father', 'misnamed'));
  });

  it("the son's deletion leaves the father's contact details on the case", async () => {
    const res = await request({ kind: 'delete', phone: PHONE, name: SON });
    expect(res.status).toBe(201);
    expect(found(res.body)).toEqual(codes('son'));
    const [row] = await engine.query<{ citizen_name: string | null }>(`SELECT citizen_name FROM cases WHERE id = $1`, [cases.misnamed.id]);
    expect(row.citizen_name).toBe(FATHER);
  });
});
