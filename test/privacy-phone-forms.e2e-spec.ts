import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import { normalisePhone as casePhone } from '@fr/domain';
import { phoneLookupKey } from '@fr/persistence';
import { NORMALISED_PHONE_SQL, normalisePhone, SubjectRequests } from '@fr/privacy';
import { adminToken, createOfficer, DEV_KEYS, TestEngine, waitFor } from '@fr/testing';
import type { FeedbackAcceptedDto } from '../apps/api/src/intake/feedback.dto';
import type { ContactReadsDto } from '../apps/api/src/privacy/privacy-reads.dto';
import type { SubjectRequestViewDto } from '../apps/api/src/privacy/subject-request.dto';

const KEY = { 'X-Api-Key': DEV_KEYS.ihanoi };

/**
 * A phone number written another way ('+84 (0)912…', '912…') is the same citizen's on the privacy side
 * as at the hotline: reads and subject requests find them, and records keyed before are still found.
 */
describe("citizens' data: a phone number however written, on records kept before as well", () => {
  let engine: TestEngine;
  let admin: string;
  let handler: string;

  beforeAll(async () => {
    engine = await TestEngine.start({ env: { FR_PRIVACY_LIMIT_PER_CHANNEL: '200' } });
    admin = await adminToken(engine);
    handler = (await createOfficer(engine, admin, { username: 'bk.handler.forms', role: 'HANDLER', unitCode: 'P_BACH_KHOA' })).token;
  });
  afterAll(() => engine?.close());

  async function newCase(phone: string, name = 'Lê Thị Hoa Mai'): Promise<{ id: string; trackingCode: string }> {
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set(KEY)
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè trước cổng Đại học Bách Khoa, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name, phone },
      });
    expect(res.status).toBe(202);
    const id = (res.body as FeedbackAcceptedDto).id;
    await waitFor(
      () => engine.query<{ status: string }>(`SELECT status FROM cases WHERE id = $1`, [id]),
      (r) => r[0].status !== 'received',
      { what: 'routing' },
    );
    return res.body as { id: string; trackingCode: string };
  }
  /** The handler opens the case: a read of its contact, recorded. */
  const readContact = async (id: string) =>
    expect(
      (
        await engine
          .http()
          .get(`/v1/cases/${id}`)
          .set({ Authorization: `Bearer ${handler}` })
      ).status,
    ).toBe(200);
  const readsBy = async (phone: string) => {
    const res = await engine
      .http()
      .get(`/v1/privacy/reads?phone=${encodeURIComponent(phone)}`)
      .set({ Authorization: `Bearer ${admin}` });
    expect(res.status).toBe(200);
    return (res.body as ContactReadsDto).items;
  };
  const access = async (phone: string, extra: Record<string, unknown> = {}) => {
    const res = await engine
      .http()
      .post('/v1/privacy/requests')
      .set(KEY)
      .send({ kind: 'access', phone, ...extra });
    expect([200, 201]).toContain(res.status);
    return res.body as SubjectRequestViewDto;
  };
  /** The hash a record kept before this version holds: the number as the privacy side read it then. */
  const hashOf = (form: string) => createHmac('sha256', engine.config.privacyKey).update(`phone:${form}`, 'utf8').digest();

  it.each([
    ['0912345678'],
    ['+84 (0)912 345 678'],
    ['0084 (0) 912 345 678'],
    ['912 345 678'],
    ['24 3825 1234'],
    ['+84 (0)24 3825 1234'],
    ['０９１２３４５６７８'],
    ['12345'],
    ['0912345678901234'],
  ])('reads %s in SQL as the domain does', async (written) => {
    const [row] = await engine.query<{ n: string | null }>(`SELECT ${NORMALISED_PHONE_SQL('$1::text')} AS n`, [written]);
    expect(row.n).toBe(normalisePhone(written));
    if (casePhone(written) !== null) expect(row.n).toBe(casePhone(written));
  });

  it("finds the reads of a number written '+84 (0)…' or without its 0, whichever way the case has it", async () => {
    const plain = await newCase('0912 345 601');
    const zeroKept = await newCase('+84 (0)912 345 602');
    await readContact(plain.id);
    await readContact(zeroKept.id);
    for (const asked of ['+84 (0)912 345 601', '912 345 601', '0912345601']) {
      expect((await readsBy(asked)).map((r) => r.caseId)).toEqual([plain.id]);
    }
    for (const asked of ['0912 345 602', '912 345 602', '+84 (0) 912-345-602']) {
      expect((await readsBy(asked)).map((r) => r.caseId)).toEqual([zeroKept.id]);
    }
  });

  it('still lists the reads recorded before, under the earlier forms of the number', async () => {
    const c = await newCase('0912 345 611');
    const [reader] = await engine.query<{ id: string }>(`SELECT id::text FROM officers WHERE username = 'bk.handler.forms'`);
    // As the privacy side keyed '+84 (0)912 345 611' and '912 345 611' before: '00912345611' and '912345611'.
    for (const [form, at] of [
      ['00912345611', '2026-01-02T00:00:00Z'],
      ['912345611', '2026-01-03T00:00:00Z'],
    ]) {
      await engine.query(`INSERT INTO contact_reads (case_id, officer_id, read_at, phone_hash) VALUES ($1, $2, $3, $4)`, [c.id, reader.id, at, hashOf(form)]);
    }
    await readContact(c.id);
    for (const asked of ['0912345611', '+84 (0)912 345 611', '912 345 611']) {
      const reads = await readsBy(asked);
      expect(reads.map((r) => r.readAt.slice(0, 10))).toEqual(['2026-01-02', '2026-01-03', expect.any(String)]);
    }
  });

  it("finds the case of a number written '+84 (0)…' by the number as written on the case, and the other way round", async () => {
    const plain = await newCase('0912345621');
    const zeroKept = await newCase('+84 (0)912 345 622');
    const withoutZero = await newCase('912 345 623');
    expect((await access('+84 (0)912 345 621')).trackingCodes).toEqual([plain.trackingCode]);
    expect((await access('912 345 621')).trackingCodes).toEqual([plain.trackingCode]);
    expect((await access('0912345622')).trackingCodes).toEqual([zeroKept.trackingCode]);
    expect((await access('912 345 622')).trackingCodes).toEqual([zeroKept.trackingCode]);
    expect((await access('0912 345 623')).trackingCodes).toEqual([withoutZero.trackingCode]);
    expect((await access('+84 (0)912 345 623')).trackingCodes).toEqual([withoutZero.trackingCode]);
  });

  /** Stores the case's phone key as an earlier version did: under `form`, or none (stored before the key existed). */
  const keyAs = (id: string, form: string | null) =>
    engine.query(`UPDATE cases SET citizen_phone_key = $2 WHERE id = $1`, [id, form === null ? null : phoneLookupKey(engine.config.phoneKeySecret, form)]);

  it('finds cases by their phone key, under the forms earlier versions keyed, and those stored before the key, and no other number', async () => {
    const keyed = await newCase('0912 345 661');
    const zeroKept = await newCase('+84 (0)912 345 661');
    await keyAs(zeroKept.id, '00912345661');
    const withoutZero = await newCase('912 345 661');
    await keyAs(withoutZero.id, '912345661');
    const beforeKeys = await newCase('0912.345.661');
    await keyAs(beforeKeys.id, null);
    // Another number, whose key is one of the earlier forms of the citizen's: read now, it is not theirs.
    const other = await newCase('00912345661');
    const mine = [keyed, zeroKept, withoutZero, beforeKeys].map((c) => c.trackingCode).sort();
    for (const asked of ['0912345661', '+84 (0)912 345 661', '912 345 661']) {
      expect({ asked, found: [...(await access(asked)).trackingCodes].sort() }).toEqual({ asked, found: mine });
    }
    expect((await access('00912345661')).trackingCodes).toEqual([other.trackingCode]);
  });

  it("finds the citizen's cases through the phone key's index and the index of the cases without a key, not by reading every case of the channel", async () => {
    // Enough of the channel's cases for the plan to be the one of a real table: 5,000 with a phone (one in
    // ten without a key, as stored before keys), closed, written by SQL.
    await engine.query(
      `INSERT INTO cases (tracking_code, channel_code, category_code, description, citizen_name, citizen_phone, citizen_phone_key,
                          status, submitted_at, received_at, closed_at)
       SELECT 'P' || lpad(g::text, 10, '0'), 'ihanoi', 'sanitation', 'seeded closed case', 'Trần Văn ' || g, '09' || lpad((g * 7919)::text, 8, '0'),
              CASE WHEN g % 10 = 0 THEN NULL ELSE encode(sha256(g::text::bytea), 'hex') END, 'closed', now() - g * interval '1 hour',
              now() - g * interval '1 hour', now() - g * interval '1 hour' + interval '2 days'
         FROM generate_series(1, 5000) g`,
    );
    await engine.query(`ANALYZE cases`);
    await newCase('0912 345 671');
    // The statement SubjectRequests sends to find the cases, with its parameters.
    const sent: { text: string; values: unknown[] }[] = [];
    const query = Client.prototype.query;
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      if (typeof args[0] === 'string' && /FROM cases c\s+WHERE c\.channel_code/.test(args[0])) sent.push({ text: args[0], values: args[1] as unknown[] });
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
    try {
      await engine.api.get(SubjectRequests).submit({ channel: 'ihanoi', kind: 'access', phone: '+84 (0)912 345 671' });
    } finally {
      Client.prototype.query = query;
    }
    expect(sent).toHaveLength(1);
    const plan = (await engine.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sent[0].text}`, sent[0].values)).map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toContain('cases_citizen_phone_key_idx');
    expect(plan).toContain('cases_keyless_phone_idx');
  });

  it('a deletion by the number written another way takes the case', async () => {
    const c = await newCase('+84 (0)912 345 631');
    const res = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'delete', phone: '912 345 631' });
    expect(res.status).toBe(201);
    expect((res.body as SubjectRequestViewDto).trackingCodes).toEqual([c.trackingCode]);
  });

  it("an access request lists the reads recorded before of the citizen's erased cases, under the earlier forms of the number", async () => {
    const c = await newCase('+84 (0)912 345 641');
    const [reader] = await engine.query<{ id: string }>(`SELECT id::text FROM officers WHERE username = 'bk.handler.forms'`);
    await engine.query(`INSERT INTO contact_reads (case_id, officer_id, read_at, phone_hash) VALUES ($1, $2, $3, $4)`, [
      c.id,
      reader.id,
      '2026-02-01T00:00:00Z',
      hashOf('00912345641'),
    ]);
    // Erased since: found only through the hash of the number.
    await engine.query(`UPDATE cases SET citizen_name = NULL, citizen_phone = NULL, contact_erased_at = now() WHERE id = $1`, [c.id]);
    const answer = await access('0912 345 641');
    expect(answer.trackingCodes).toEqual([]);
    expect(answer.reads).toEqual([expect.objectContaining({ trackingCode: c.trackingCode })]);
    const later = await engine.http().get(`/v1/privacy/requests/${answer.id}`).set(KEY);
    expect((later.body as SubjectRequestViewDto).reads).toEqual([expect.objectContaining({ trackingCode: c.trackingCode })]);
  });

  it('a retry of a request recorded before, under the number written another way, is the same request', async () => {
    await newCase('+84 (0)912 345 651');
    const first = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'access', phone: '+84 (0)912 345 651', externalId: 'forms-retry-1' });
    expect(first.status).toBe(201);
    const id = (first.body as SubjectRequestViewDto).id;
    // Recorded before this version: the hash of the number as the privacy side read it then.
    await engine.query(`UPDATE privacy_requests SET phone_hash = $2 WHERE id = $1`, [id, hashOf('00912345651')]);
    const retry = await engine.http().post('/v1/privacy/requests').set(KEY).send({ kind: 'access', phone: '+84 (0)912 345 651', externalId: 'forms-retry-1' });
    expect(retry.status).toBe(200);
    expect((retry.body as SubjectRequestViewDto).id).toBe(id);
  });
});
