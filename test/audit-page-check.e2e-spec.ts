import { DataSource } from 'typeorm';
import {
  AuditChainWalker,
  SEAL_FORM_BINARY,
  SEAL_FORM_TEXT,
  SEAL_SUMMARY_SQL,
  SEAL_SUMMARY_SQL_TEXTS_PER_SEAL,
  SEAL_SUMMARY_SQL_UTF8,
  SealPageSummary,
} from '@fr/audit';
import { GENESIS_HASH, writeAuditEvent } from '@fr/persistence';
import { ApiSchema, DEV_KEYS, TestEngine } from '@fr/testing';

/**
 * A verification hashes each page inside PostgreSQL (SEAL_SUMMARY_SQL) and walks in TypeScript only
 * what it flags. Both must agree on every seal: a page SQL passed wrongly would hide tampering, a page
 * it flagged wrongly would be walked again for nothing. Here each is run over the whole trail, on
 * content that tests the canonical form and the kept texts, untouched and then tampered with. The
 * trail is sealed across the change of canonical form: its first events in form 1 (as the sealer
 * sealed them before migration 1766920000000-AuditSealForms), the rest in form 2.
 */
describe('the page check in PostgreSQL agrees with the walk in TypeScript', () => {
  let engine: TestEngine;
  let walker: AuditChainWalker;

  beforeAll(async () => {
    engine = await TestEngine.start({ worker: false });
    const ds = engine.api.get(DataSource);
    walker = new AuditChainWalker(ds);
    // A case received as any other (its receive event among those checked), for events about a case.
    const res = await engine
      .http()
      .post('/v1/feedback')
      .set({ 'X-Api-Key': DEV_KEYS.ihanoi })
      .send({
        category: 'sidewalk_encroachment',
        description: 'Hàng quán lấn chiếm vỉa hè số 1 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
        location: { wardCode: 'BACH_KHOA' },
        citizen: { name: 'Phạm Văn Bình', phone: '0987654321' },
      });
    expect(res.status).toBe(202);
    const caseId = (res.body as ApiSchema<'FeedbackAcceptedDto'>).id;
    const events: Parameters<typeof writeAuditEvent>[1][] = [
      { caseId: null, actor: 'system', action: 'note', data: {} },
      {
        caseId,
        actor: 'officer:nv.lan',
        action: 'transfer',
        fromState: 'assigned',
        toState: 'transferring',
        reason: 'Đã xử lý | 12:34 ; "trích dẫn"\nxuống dòng \\ gạch chéo',
        data: { z: [1.5, { b: null, a: 'Phường Bạch Mai' }], emoji: '👍', ctl: '\u0001', nested: { texts: 'not the key' } },
        texts: { reason: 'Chuyển về Phường Hoàn Kiếm vì địa chỉ thuộc phường đó', citizenNote: 'bà Lan, 0912 345 678 😀' },
      },
      { caseId: null, actor: 'citizen:ihanoi', action: 'rate', reason: '', data: { score: 5 } },
      { caseId: null, actor: 'officer:x', action: 'comment', data: { n: 1 }, texts: { comment: 'Nhận xét của người rà soát: "tốt"' } },
    ];
    for (let round = 0; round < 3; round++) {
      for (const e of events) await ds.transaction((m) => writeAuditEvent(m, e));
      if (round === 0) await sealInFormOne();
    }
    // Data of other shapes than the writers give (an array, a scalar, a texts member that is not an object).
    await engine.query(`INSERT INTO audit_events (case_id, actor, action, data) VALUES
      (NULL, 'system', 'import', '[1, "texts"]'), (NULL, 'system', 'import', '"texts"'), (NULL, 'system', 'import', '{"texts": ["a"]}'),
      (NULL, 'system', 'import', '{"texts": {"x": 5}}')`);
    // One kept text erased, as a subject's erasure leaves it (the first of the second round: a seal of form 2).
    await engine.query(
      `UPDATE audit_event_texts SET body = NULL, salt = NULL, erased_at = now()
        WHERE (event_id, field) = (SELECT event_id, field FROM audit_event_texts ORDER BY event_id, field LIMIT 1 OFFSET 3)`,
    );
    await engine.sealAuditTrail();
    const forms = await engine.query<{ form: number; n: number }>(`SELECT form, count(*)::int AS n FROM audit_seals GROUP BY form ORDER BY form`);
    expect(forms.map((f) => f.form)).toEqual([SEAL_FORM_TEXT, SEAL_FORM_BINARY]);
  });
  afterAll(() => engine?.close());

  /** What is queued, sealed as the sealer did before form 2: form 1 (the column's default), with the functions of 1764700000000-AuditTrail. */
  async function sealInFormOne(): Promise<void> {
    await engine.query(`
      WITH h AS (SELECT last_hash, event_count FROM audit_chain_head WHERE id = 1),
      numbered AS (SELECT e.*, row_number() OVER (ORDER BY e.id) AS n FROM audit_events e JOIN audit_unsealed u ON u.event_id = e.id),
      chained AS (SELECT id, n, audit_chain(audit_event_canonical(id, case_id, actor, action, from_state, to_state, reason, data, occurred_at),
                                            (SELECT last_hash FROM h)) OVER (ORDER BY n) AS hash FROM numbered),
      linked AS (SELECT id, n, hash, COALESCE(lag(hash) OVER (ORDER BY n), (SELECT last_hash FROM h)) AS prev_hash FROM chained),
      ins AS (INSERT INTO audit_seals (seq, event_id, prev_hash, hash) SELECT (SELECT event_count FROM h) + n, id, prev_hash, hash FROM linked RETURNING event_id),
      del AS (DELETE FROM audit_unsealed u USING ins WHERE u.event_id = ins.event_id)
      UPDATE audit_chain_head SET last_id = l.id, last_hash = l.hash, event_count = (SELECT event_count FROM h) + l.n
        FROM (SELECT id, n, hash FROM linked ORDER BY n DESC LIMIT 1) l WHERE audit_chain_head.id = 1`);
  }

  const head = async () => BigInt((await engine.query<{ n: string }>(`SELECT count(*)::text AS n FROM audit_seals`))[0].n);

  /**
   * The page check's forms: for any server encoding, for a UTF8 one (lengths without convert_to), and
   * with the kept texts read seal by seal (the plan of a page whose event ids are far apart) rather
   * than by the page's id range.
   */
  const forms = [SEAL_SUMMARY_SQL, SEAL_SUMMARY_SQL_UTF8, SEAL_SUMMARY_SQL_TEXTS_PER_SEAL];

  /** The position each side flags first over the whole trail (null: none); every form of the SQL side must agree. */
  async function bothSides(): Promise<{ sql: string | null; typescript: string | null; n: number }> {
    const [{ to }] = await engine.query<{ to: string }>(`SELECT COALESCE(max(seq), 0)::text AS to FROM audit_seals`);
    const pages = await Promise.all(forms.map(async (sql) => (await engine.query<SealPageSummary>(sql, ['0', to]))[0]));
    for (const other of pages.slice(1)) expect(other).toEqual(pages[0]);
    const [page] = pages;
    const walked = await walker.walk({ fromSeq: 1n, toSeq: BigInt(to) }, { seq: 0n, eventId: null, hash: GENESIS_HASH });
    let typescript: string | null = null;
    if (walked.broken) {
      const [named] = await engine.query<{ seq: string }>(`SELECT seq::text FROM audit_seals WHERE event_id = $1`, [walked.broken.eventId]);
      typescript = named.seq;
    }
    // A first seal that does not follow the genesis is the caller's to catch (the page links inside itself).
    const sql = page.bad_seq ?? (page.first_prev_hash?.equals(GENESIS_HASH) === false ? page.first_seq : null);
    return { sql, typescript, n: page.n };
  }

  it('an untouched trail: neither flags anything, every seal counted', async () => {
    const n = await head();
    expect(n).toBeGreaterThan(15n);
    expect(await bothSides()).toEqual({ sql: null, typescript: null, n: Number(n) });
    // The page's first and last seals by position (a page across 9 -> 10 also tells a numeric order from a textual one).
    const [last] = await engine.query<{ event_id: string; hash: Buffer }>(`SELECT event_id::text, hash FROM audit_seals WHERE seq = $1`, [n.toString()]);
    for (const sql of forms) {
      const [page] = await engine.query<SealPageSummary>(sql, ['4', n.toString()]);
      expect(page).toMatchObject({ n: Number(n) - 4, bad_seq: null, first_seq: '5', last_seq: n.toString(), last_id: last.event_id, last_hash: last.hash });
    }
  });

  /**
   * Each tamper and the SQL that undoes it ($1: the victim, an event id); both sides must name the victim's
   * seal. `form`: the form the victim's seal must be of (the content tampers run on form 2, the sealer's).
   */
  const tampers: { what: string; victim: string; tamper: string; undo: string; form?: number }[] = [
    {
      what: 'a reason changed',
      victim: `SELECT id FROM audit_events WHERE action = 'transfer' ORDER BY id LIMIT 1 OFFSET 1`,
      tamper: `UPDATE audit_events SET reason = reason || ' ' WHERE id = $1`,
      undo: `UPDATE audit_events SET reason = left(reason, -1) WHERE id = $1`,
      form: SEAL_FORM_BINARY,
    },
    {
      what: 'a reason changed, on a seal of form 1',
      victim: `SELECT id FROM audit_events WHERE action = 'transfer' ORDER BY id LIMIT 1`,
      tamper: `UPDATE audit_events SET reason = reason || ' ' WHERE id = $1`,
      undo: `UPDATE audit_events SET reason = left(reason, -1) WHERE id = $1`,
      form: SEAL_FORM_TEXT,
    },
    {
      what: 'a time moved by a microsecond',
      victim: `SELECT id FROM audit_events WHERE action = 'rate' ORDER BY id LIMIT 1 OFFSET 1`,
      tamper: `UPDATE audit_events SET occurred_at = occurred_at + interval '1 microsecond' WHERE id = $1`,
      undo: `UPDATE audit_events SET occurred_at = occurred_at - interval '1 microsecond' WHERE id = $1`,
      form: SEAL_FORM_BINARY,
    },
    {
      what: 'a time moved by a microsecond, on a seal of form 1',
      victim: `SELECT id FROM audit_events WHERE action = 'rate' ORDER BY id LIMIT 1`,
      tamper: `UPDATE audit_events SET occurred_at = occurred_at + interval '1 microsecond' WHERE id = $1`,
      undo: `UPDATE audit_events SET occurred_at = occurred_at - interval '1 microsecond' WHERE id = $1`,
      form: SEAL_FORM_TEXT,
    },
    {
      what: 'a NULL made empty',
      victim: `SELECT id FROM audit_events WHERE action = 'note' ORDER BY id DESC LIMIT 1`,
      tamper: `UPDATE audit_events SET from_state = '' WHERE id = $1`,
      undo: `UPDATE audit_events SET from_state = NULL WHERE id = $1`,
      form: SEAL_FORM_BINARY,
    },
    {
      what: 'a case taken off the event',
      victim: `SELECT id FROM audit_events WHERE case_id IS NOT NULL ORDER BY id DESC LIMIT 1`,
      tamper: `CREATE TABLE lab_case AS SELECT id, case_id FROM audit_events WHERE id = $1; UPDATE audit_events SET case_id = NULL WHERE id = $1`,
      undo: `UPDATE audit_events e SET case_id = l.case_id FROM lab_case l WHERE e.id = l.id; DROP TABLE lab_case`,
      form: SEAL_FORM_BINARY,
    },
    {
      what: 'data rewritten to the same text in another type (a number as a string)',
      victim: `SELECT id FROM audit_events WHERE action = 'rate' AND data ? 'score' ORDER BY id DESC LIMIT 1`,
      tamper: `UPDATE audit_events SET data = jsonb_set(data, '{score}', to_jsonb((data ->> 'score'))) WHERE id = $1`,
      undo: `UPDATE audit_events SET data = jsonb_set(data, '{score}', (data ->> 'score')::jsonb) WHERE id = $1`,
      form: SEAL_FORM_BINARY,
    },
    {
      what: 'a seal of form 2 said to be of form 1',
      victim: `SELECT event_id FROM audit_seals WHERE form = 2 ORDER BY seq DESC LIMIT 1 OFFSET 2`,
      tamper: `UPDATE audit_seals SET form = 1 WHERE event_id = $1`,
      undo: `UPDATE audit_seals SET form = 2 WHERE event_id = $1`,
    },
    {
      what: 'a seal of form 1 said to be of form 2',
      victim: `SELECT event_id FROM audit_seals WHERE form = 1 ORDER BY seq DESC LIMIT 1`,
      tamper: `UPDATE audit_seals SET form = 2 WHERE event_id = $1`,
      undo: `UPDATE audit_seals SET form = 1 WHERE event_id = $1`,
    },
    {
      what: 'a seal given a form no sealer writes',
      victim: `SELECT event_id FROM audit_seals WHERE form = 2 ORDER BY seq LIMIT 1`,
      tamper: `UPDATE audit_seals SET form = 3 WHERE event_id = $1`,
      undo: `UPDATE audit_seals SET form = 2 WHERE event_id = $1`,
    },
    {
      what: 'a kept text changed',
      victim: `SELECT event_id FROM audit_event_texts WHERE body IS NOT NULL AND field = 'citizenNote' ORDER BY event_id DESC LIMIT 1`,
      tamper: `UPDATE audit_event_texts SET body = body || '.' WHERE event_id = $1 AND field = 'citizenNote'`,
      undo: `UPDATE audit_event_texts SET body = left(body, -1) WHERE event_id = $1 AND field = 'citizenNote'`,
    },
    {
      what: 'a kept text deleted',
      victim: `SELECT event_id FROM audit_event_texts WHERE field = 'comment' ORDER BY event_id LIMIT 1 OFFSET 1`,
      tamper: `CREATE TABLE lab_kept AS SELECT * FROM audit_event_texts WHERE event_id = $1; DELETE FROM audit_event_texts WHERE event_id = $1`,
      undo: `INSERT INTO audit_event_texts SELECT * FROM lab_kept; DROP TABLE lab_kept`,
    },
    {
      what: 'a kept text added',
      victim: `SELECT id FROM audit_events WHERE action = 'rate' ORDER BY id DESC LIMIT 1`,
      tamper: `INSERT INTO audit_event_texts (event_id, field, salt, body) VALUES ($1, 'reason', '\\x00', 'thêm sau')`,
      undo: `DELETE FROM audit_event_texts WHERE event_id = $1`,
    },
    {
      what: 'an erased text given a body back',
      victim: `SELECT event_id FROM audit_event_texts WHERE body IS NULL ORDER BY event_id LIMIT 1`,
      tamper: `UPDATE audit_event_texts SET body = 'đoán', salt = '\\x01', erased_at = NULL WHERE event_id = $1 AND body IS NULL`,
      undo: `UPDATE audit_event_texts SET body = NULL, salt = NULL, erased_at = now() WHERE event_id = $1 AND body = 'đoán'`,
    },
    {
      what: 'a salt replaced',
      victim: `SELECT event_id FROM audit_event_texts WHERE field = 'reason' AND body IS NOT NULL ORDER BY event_id DESC LIMIT 1`,
      tamper: `UPDATE audit_event_texts SET salt = salt || '\\x00'::bytea WHERE event_id = $1 AND field = 'reason'`,
      undo: `UPDATE audit_event_texts SET salt = substring(salt FROM 1 FOR octet_length(salt) - 1) WHERE event_id = $1 AND field = 'reason'`,
    },
    {
      what: 'an event deleted',
      victim: `SELECT id FROM audit_events WHERE action = 'import' ORDER BY id LIMIT 1`,
      tamper: `CREATE TABLE lab_gone AS SELECT * FROM audit_events WHERE id = $1; DELETE FROM audit_events WHERE id = $1`,
      undo: `INSERT INTO audit_events SELECT * FROM lab_gone; DROP TABLE lab_gone`,
    },
    {
      what: 'a seal removed',
      victim: `SELECT event_id FROM audit_seals WHERE seq = 7`,
      tamper: `CREATE TABLE lab_gone AS SELECT * FROM audit_seals WHERE seq = 6; DELETE FROM audit_seals WHERE seq = 6`,
      undo: `INSERT INTO audit_seals SELECT * FROM lab_gone; DROP TABLE lab_gone`,
    },
    {
      what: 'two seals swapped',
      // The event at 10 moves to 9, where its prev_hash no longer follows seal 8.
      victim: `SELECT event_id FROM audit_seals WHERE seq = 10`,
      tamper: `UPDATE audit_seals SET seq = -1 WHERE seq = 9; UPDATE audit_seals SET seq = 9 WHERE seq = 10; UPDATE audit_seals SET seq = 10 WHERE seq = -1`,
      undo: `UPDATE audit_seals SET seq = -1 WHERE seq = 9; UPDATE audit_seals SET seq = 9 WHERE seq = 10; UPDATE audit_seals SET seq = 10 WHERE seq = -1`,
    },
  ];

  it.each(tampers)('$what: both name the same seal, and both pass again once it is undone', async ({ victim, tamper, undo, form }) => {
    const [row] = await engine.query<{ id: string }>(`SELECT (${victim})::text AS id`);
    expect(row.id).toMatch(/^\d+$/);
    if (form !== undefined) expect((await engine.query<{ form: number }>(`SELECT form FROM audit_seals WHERE event_id = $1`, [row.id]))[0].form).toBe(form);
    // An id read from the database, digits only: written into the statements as a literal.
    const run = (sql: string) => engine.asAttacker(sql.replaceAll('$1', row.id));
    await run(tamper);
    try {
      const [{ seq }] = await engine.query<{ seq: string }>(`SELECT seq::text FROM audit_seals WHERE event_id = $1`, [row.id]);
      const flagged = await bothSides();
      expect(flagged.typescript).toBe(seq);
      expect(flagged.sql).toBe(seq);
    } finally {
      await run(undo);
    }
    expect(await bothSides()).toMatchObject({ sql: null, typescript: null });
  });
});
