import { DEV_KEYS, submitRouted, TestEngine } from '@fr/testing';
import type { SubjectRequestViewDto } from '../apps/api/src/privacy/subject-request.dto';

jest.setTimeout(60_000);

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };
/** A family's one phone: the father's cases and his son's. */
const PHONE = '0978456777';
const OTHER_PHONE = '0978456778';
const FORMER = 'Lê Minh Tuấn';
const CURRENT = 'Lê Minh Toản';
const SON = 'Lê Minh Khoa';

/**
 * A citizen who corrected their name (a subject request: they changed it, or it was mistyped) and later
 * asks by the name they gave on their cases (Law 91/2025/QH15 art. 4 cl. 1 c-d): the cases still held
 * under that name as a former one are theirs. The name is one key among the others: the channel, the
 * phone or e-mail still match as before, and another person's cases on the same phone stay out.
 */
describe('a subject request by the name the citizen gave before correcting it', () => {
  let engine: TestEngine;
  const cases: Record<string, { id: string; trackingCode: string }> = {};

  const submit = (name: string, phone: string, description: string) =>
    submitRouted(engine, KEY, {
      category: 'sidewalk_encroachment',
      description,
      location: { wardCode: 'BACH_KHOA' },
      citizen: { name, phone },
    });
  const request = (body: Record<string, unknown>) => engine.http().post('/v1/privacy/requests').set(KEY).send(body);
  const codes = (...keys: string[]) => keys.map((k) => cases[k].trackingCode).sort();
  const found = (body: unknown) => [...(body as SubjectRequestViewDto).trackingCodes].sort();

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_PRIVACY_LIMIT_PER_CHANNEL: '200' } });
    cases.corrected = await submit(FORMER, PHONE, 'Hàng quán lấn chiếm vỉa hè ngõ 17 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.');
    cases.son = await submit(SON, PHONE, 'Xe máy đỗ kín vỉa hè trước số 40 Tạ Quang Bửu, người đi bộ không có lối đi.');
    // The same name on another phone: someone else's, whatever their name.
    cases.elsewhere = await submit(FORMER, OTHER_PHONE, 'Biển quảng cáo lấn chiếm vỉa hè đầu ngõ 30 Tạ Quang Bửu.');
    const corrected = await request({ kind: 'correct', phone: PHONE, name: FORMER, corrections: { name: CURRENT } });
    expect(corrected.status).toBe(201);
    expect(found(corrected.body)).toEqual(codes('corrected'));
    // A case the citizen gave the former name on after the correction (the channel's profile was not updated).
    cases.later = await submit(FORMER, PHONE, 'Lò nướng than đặt trên vỉa hè trước số 12 Tạ Quang Bửu, khói bay vào nhà dân.');
  });
  afterAll(() => engine?.close());

  it('an access request by the former name gives back the corrected case, with the one still under that name', async () => {
    const access = await request({ kind: 'access', phone: PHONE, name: FORMER });
    expect(access.status).toBe(201);
    expect(found(access.body)).toEqual(codes('corrected', 'later'));
    const held = (access.body as SubjectRequestViewDto).cases!.find((c) => c.trackingCode === cases.corrected.trackingCode)!;
    expect(held.contact).toEqual({ name: CURRENT, formerNames: [FORMER], phone: PHONE, email: null });
  });

  it('the name as people write it (no diacritics, capitals) finds the former name as it finds a current one', async () => {
    const access = await request({ kind: 'access', phone: PHONE, name: 'LE MINH TUAN' });
    expect(access.status).toBe(201);
    expect(found(access.body)).toEqual(codes('corrected', 'later'));
  });

  it('the current name still finds the corrected case, and not the one given the former name since', async () => {
    const access = await request({ kind: 'access', phone: PHONE, name: CURRENT });
    expect(access.status).toBe(201);
    expect(found(access.body)).toEqual(codes('corrected'));
  });

  it("widens nothing: not the same name's case on another phone, not the son's case on the same phone", async () => {
    const elsewhere = await request({ kind: 'access', phone: OTHER_PHONE, name: FORMER });
    expect(found(elsewhere.body)).toEqual(codes('elsewhere'));
    const son = await request({ kind: 'access', phone: PHONE, name: SON });
    expect(found(son.body)).toEqual(codes('son'));
    // By an e-mail no case holds, the former name reaches nothing.
    const byEmail = await request({ kind: 'access', email: 'le.minh.tuan@example.vn', name: FORMER });
    expect(byEmail.status).toBe(201);
    expect(found(byEmail.body)).toEqual([]);
    // By the phone alone the cases are of more than one person: the name is still asked for.
    expect((await request({ kind: 'access', phone: PHONE })).status).toBe(409);
  });

  it('a correction by the former name finds the corrected case too', async () => {
    const res = await request({
      kind: 'correct',
      phone: PHONE,
      name: FORMER,
      trackingCodes: [cases.corrected.trackingCode],
      corrections: { email: 'le.minh.toan@example.vn' },
    });
    expect(res.status).toBe(201);
    expect(found(res.body)).toEqual(codes('corrected'));
    const [row] = await engine.query<{ citizen_email: string | null }>(`SELECT citizen_email FROM cases WHERE id = $1`, [cases.corrected.id]);
    expect(row.citizen_email).toBe('le.minh.toan@example.vn');
  });

  it("a deletion by the former name takes the corrected case (waiting for it to close), not the son's", async () => {
    const res = await request({ kind: 'delete', phone: PHONE, name: FORMER });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'waiting_for_closure' });
    expect(found(res.body)).toEqual(codes('corrected', 'later'));
    expect([...(res.body as SubjectRequestViewDto).waitingFor].sort()).toEqual(codes('corrected', 'later'));
  });
});
