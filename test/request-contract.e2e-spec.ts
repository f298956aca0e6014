import type { Response } from 'supertest';
import { buildOpenApiDocument } from '@fr/api';
import { Json, JsonObject } from '@fr/domain';
import {
  actOnCase,
  adminToken,
  bearer,
  createOfficer,
  DEV_KEYS,
  OMIT,
  Operation,
  parameterOf,
  parametersIn,
  Place,
  bodyVariants,
  parameterVariants,
  placePath,
  RequestOracle,
  sample,
  SampleRequest,
  seededRandom,
  submitRouted,
  TestEngine,
  uuidOf,
  Variant,
  withValue,
} from '@fr/testing';

/**
 * The request side of the OpenAPI document, checked the way integrators' tools read it: Schemathesis's
 * positive and negative data checks, a validating proxy (Prism) in front of the API. For every operation
 * that takes parameters or a JSON body, requests are derived from the document's own schemas
 * (libs/testing/src/request-samples.ts: values at the edges, one past each constraint) from a valid
 * fixture request, the document judges each one (Ajv, as those tools do), and the API must agree:
 * - a request the document calls valid is never refused with 400 (the document would be too loose, or the
 *   code checks something the document does not say), nor answered 5xx;
 * - a request the document calls invalid is refused with 400 or 422 naming the field (404 for a path
 *   parameter), never accepted and never 5xx.
 * Responses are checked against the document as in every e2e test (engine.http()).
 *
 * FR_REQUEST_SAMPLES is how many requests each fixture sends at most, half valid and half invalid when
 * there are enough (0: every one derived); FR_REQUEST_SEED draws another sample. Test knobs, read here.
 */
const PER_FIXTURE = envInt('FR_REQUEST_SAMPLES', 24);
const SEED = envInt('FR_REQUEST_SEED', 20261207);

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not '${raw}'`);
  return n;
}

/** What the fixtures point at: made in beforeAll. */
interface World {
  headers: Record<string, Record<string, string>>;
  caseId: string;
  trackingCode: string;
  /** A case in progress for the case actions, at a version the variants' versions never equal. */
  actionCaseId: string;
  hotlineCode: string;
  officerId: string;
  coverId: string;
  victimId: string;
  webhookId: string;
  privacyRequestId: string;
  cauDen: { handlerId: string | null; leaderId: string | null };
}

interface Fixture {
  /** Which fixture of an operation this is (a case action's name), when there are several. */
  name?: string;
  op: string;
  /** The credential it is sent with: a key of World.headers, or none. */
  as: string | null;
  path?: Record<string, string>;
  query?: Record<string, string>;
  body?: Json;
  /** A body of another media type: parameters only are varied. */
  text?: { type: string; body: string };
  /** Top-level body fields varied (the operation's description narrows the body to them). */
  only?: readonly string[];
  /** Parameters not varied (a fixture of one case action leaves `action` to another). */
  fixed?: readonly string[];
  /** Makes a request unique where the API would take a second one as a replay (external ids, usernames). */
  fresh?: (req: SampleRequest, n: number, changed: Place) => void;
  /** Headers sent with every request of the fixture, that no parameter describes (GeoReport's X-Api-Key, said in words). */
  headers?: Record<string, string>;
  /** Statuses a valid request may get here besides 2xx, 404, 409 and 422 (a login's 401). */
  answers?: readonly number[];
  /** Parameters only the API's own answers fill (a page's cursor): no value of the generator's is valid for them. */
  opaque?: readonly string[];
  /**
   * Refusals of valid requests for a rule the operation's description states and no schema can (one field
   * against another, or against the path): `phrase` must be in the document, where a reader finds it.
   */
  described?: readonly { message: RegExp; phrase: string }[];
}

/**
 * Rules of one field against another that many operations share, each stated in the description of the
 * field that carries it: the end of a period after its start, a password's visible characters.
 */
const COMMONLY_DESCRIBED: NonNullable<Fixture['described']> = [
  { message: /at least 8 visible characters/, phrase: 'visible' },
  { message: /to must be (after|later than) from/, phrase: 'after from' },
  { message: /is before from/, phrase: 'not before from' },
  { message: /is after at/, phrase: 'not after at' },
];

/** What each credential of World.headers is: a channel's key, or an officer of a role. */
const CREDENTIALS: Record<string, string> = {
  ihanoi: 'channel',
  admin: 'ADMIN',
  handler: 'HANDLER',
  cover: 'HANDLER',
  victim: 'HANDLER',
  changer: 'HANDLER',
  leader: 'LEADER',
  supervisor: 'SUPERVISOR',
  auditor: 'AUDITOR',
  operator: 'OPERATOR',
};

let sequence = 0;
const FIXED_TRACKING_CODE = 'ABCDE-FGHJK';

/** Sets a body field to a fresh value, unless the variant is about that field. */
const freshField =
  (field: string, make: (n: number) => string) =>
  (req: SampleRequest, n: number, changed: Place): void => {
    if (changed.in === 'body' && changed.path[0] === field) return;
    if (req.body && typeof req.body === 'object' && !Array.isArray(req.body) && field in req.body) (req.body as JsonObject)[field] = make(n);
  };

const ATTACHMENT = { url: 'https://cdn.example.vn/p/abc.jpg', kind: 'image' };
const FEEDBACK = {
  externalId: 'conf-0001',
  category: 'sidewalk_encroachment',
  title: 'Lấn chiếm vỉa hè',
  description: 'Quán nước lấn chiếm vỉa hè trước số 25 Tạ Quang Bửu, người đi bộ phải xuống lòng đường.',
  location: { address: '25 Tạ Quang Bửu', wardCode: 'BACH_KHOA', lat: 21.0045, lng: 105.8466 },
  citizen: { name: 'Phạm Thị Lan', phone: '0904123456', email: 'lan.pham@example.vn' },
  attachments: [ATTACHMENT],
  submittedAt: '2026-11-29T09:15:00+07:00',
};
const GEOREPORT_REQUEST = {
  api_key: DEV_KEYS.ihanoi,
  service_code: 'sidewalk_encroachment',
  lat: '21.0045',
  long: '105.8466',
  address_string: '25 Tạ Quang Bửu',
  'attribute[ward_code]': 'BACH_KHOA',
  'attribute[external_id]': 'conf-o311-0',
  'attribute[title]': 'Lấn chiếm vỉa hè',
  description: FEEDBACK.description,
  first_name: 'Thị Lan',
  last_name: 'Phạm',
  phone: '0904123456',
  email: 'lan.pham@example.vn',
  media_url: ATTACHMENT.url,
};
const STRONG_PASSWORD = 'Bk-Qz7!mT4#wX9';
const ICS = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'BEGIN:VEVENT',
  'DTSTART;VALUE=DATE:20260430',
  'SUMMARY:Giải phóng miền Nam',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

function fixtures(w: World): Fixture[] {
  const version = 2147483000; // stale: every action stops at the version check, after validation
  // Each action is an operation of its own, whose body says which fields it takes and needs.
  const act = (action: string, body: JsonObject, as = 'handler'): Fixture => ({
    op: `POST /v1/cases/{id}/${action}`,
    as,
    path: { id: w.actionCaseId },
    body: action === 'note' ? body : { expectedVersion: version, ...body },
    fixed: action === 'acknowledge' ? [] : ['id'],
  });
  return [
    // Channels.
    { op: 'POST /v1/feedback', as: 'ihanoi', body: FEEDBACK, fresh: freshField('externalId', (n) => `conf-fb-${n}`) },
    { op: 'GET /v1/feedback/nearby', as: 'ihanoi', query: { lat: '21.0045', lng: '105.8466', category: 'sidewalk_encroachment' } },
    { op: 'GET /v1/feedback/{trackingCode}', as: 'ihanoi', path: { trackingCode: w.trackingCode } },
    {
      op: 'POST /v1/feedback/{trackingCode}/info',
      as: 'ihanoi',
      path: { trackingCode: w.trackingCode },
      body: { message: 'Quán mở từ 6 giờ sáng.', attachments: [ATTACHMENT] },
    },
    { op: 'POST /v1/feedback/{trackingCode}/rating', as: 'ihanoi', path: { trackingCode: w.trackingCode }, body: { score: 5, comment: 'Cảm ơn.' } },
    {
      op: 'POST /v1/privacy/requests',
      as: 'ihanoi',
      body: {
        externalId: 'conf-pr-0',
        kind: 'access',
        phone: '0987 000 111',
        email: 'minh.tran@example.vn',
        name: 'Trần Văn Minh',
        trackingCodes: [FIXED_TRACKING_CODE],
      },
      fresh: freshField('externalId', (n) => `conf-pr-${n}`),
    },
    { op: 'GET /v1/privacy/requests/{id}', as: 'ihanoi', path: { id: w.privacyRequestId } },
    {
      op: 'GET /v1/public/notices',
      as: 'ihanoi',
      query: { since: '2026-12-01T09:15:00+07:00', afterId: uuidOf(seededRandom(1)), limit: '50' },
      described: [{ message: /afterId goes with since/, phrase: 'only with since' }],
    },
    // Cases.
    {
      op: 'GET /v1/cases',
      as: 'handler',
      query: { status: 'assigned,in_progress', unit: 'P_BACH_KHOA', assignee: 'me', overdue: 'false', dueBefore: '2026-12-31T00:00:00+07:00', limit: '20' },
      opaque: ['cursor'],
    },
    { op: 'GET /v1/cases/{id}', as: 'handler', path: { id: w.caseId } },
    act('acknowledge', { severity: 'normal' }),
    act('request-info', { message: 'Xin cho biết số nhà chính xác.' }),
    act('transfer', { unitCode: 'P_BACH_MAI', reason: 'Địa chỉ thuộc phường Bạch Mai.' }),
    act('return', { reason: 'Không thuộc thẩm quyền.' }),
    act('assign', { unitCode: 'P_BACH_KHOA', reason: 'Đúng địa bàn.' }, 'supervisor'),
    act('resolve', { answer: 'Đã xử lý, vỉa hè đã thông thoáng.', attachments: [ATTACHMENT] }),
    act('extend', { until: '2027-01-15T17:00:00+07:00', reason: 'Cần phối hợp liên ngành.' }, 'leader'),
    act('reopen', { reason: 'Công dân phản ánh chưa xử lý xong.' }, 'supervisor'),
    act('close', { reason: 'Công dân xác nhận đã xong.' }, 'supervisor'),
    act('note', { text: 'Đã gọi điện cho chủ quán.' }),
    act('redirect-other-track', { reason: 'Là khiếu nại.', whereToGo: 'Thanh tra quận, 02439 000 000' }, 'leader'),
    act('merge', { duplicateIds: [w.caseId] }),
    act('unlink', {}),
    // Officers and units.
    {
      op: 'POST /v1/officers',
      as: 'admin',
      body: {
        username: 'conf.officer.0',
        password: STRONG_PASSWORD,
        fullName: 'Nguyễn Văn An',
        role: 'HANDLER',
        unitCode: 'P_BACH_KHOA',
        email: 'an.nguyen@example.vn',
      },
      fresh: freshField('username', (n) => `conf.officer.${n}`),
    },
    { op: 'GET /v1/officers', as: 'admin', query: { unit: 'P_BACH_KHOA', role: 'HANDLER', active: 'true' } },
    {
      op: 'PATCH /v1/officers/{id}',
      as: 'admin',
      path: { id: w.victimId },
      body: { fullName: 'Lê Thị Hoa', role: 'HANDLER', unitCode: 'P_BACH_KHOA', password: STRONG_PASSWORD, active: true, email: 'hoa.le@example.vn' },
    },
    {
      op: 'POST /v1/officers/{id}/absences',
      as: 'admin',
      path: { id: w.officerId },
      body: { from: '2026-12-07', to: '2026-12-12T00:00:00+07:00', coverId: w.coverId },
      described: [{ message: /an absence lasts at most 366 days/, phrase: 'at most 366 days after it' }],
    },
    { op: 'GET /v1/officers/{id}/absences', as: 'admin', path: { id: w.officerId } },
    { op: 'DELETE /v1/officers/{id}/absences/{absenceId}', as: 'admin', path: { id: w.officerId, absenceId: '12' } },
    { op: 'GET /v1/units', as: 'handler', query: { at: '2026-01-01', include: 'inactive' } },
    { op: 'PUT /v1/units/{code}/designation', as: 'admin', path: { code: 'P_CAU_DEN' }, body: { handlerId: w.cauDen.handlerId, leaderId: w.cauDen.leaderId } },
    // Webhooks and notifications.
    {
      op: 'POST /v1/webhooks',
      as: 'admin',
      body: { url: 'https://hooks.example.vn/fr', events: ['case.status'], secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    },
    { op: 'GET /v1/webhooks/{id}/deliveries', as: 'admin', path: { id: w.webhookId }, query: { status: 'failed' } },
    { op: 'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', as: 'admin', path: { id: w.webhookId, deliveryId: '42' } },
    { op: 'PUT /v1/webhooks/{id}/state', as: 'admin', path: { id: w.webhookId }, body: { active: false } },
    { op: 'POST /v1/webhooks/{id}/rotate-secret', as: 'admin', path: { id: w.webhookId }, body: { overlapSeconds: 3600 } },
    {
      op: 'PUT /v1/channels/{code}/webhook',
      as: 'admin',
      path: { code: 'web_portal' },
      body: { url: 'https://hooks.example.vn/portal', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    },
    { op: 'POST /v1/channels/{code}/webhook/rotate-secret', as: 'admin', path: { code: 'web_portal' }, body: { overlapSeconds: 3600 } },
    { op: 'GET /v1/notifications', as: 'handler', query: { limit: '20', unread: 'true' }, opaque: ['cursor'] },
    { op: 'POST /v1/notifications/{id}/read', as: 'handler', path: { id: '1' } },
    { op: 'GET /v1/escalations', as: 'supervisor', query: { limit: '20', level: '1', open: 'true', unit: 'P_BACH_KHOA' }, opaque: ['cursor'] },
    // Calendars.
    { op: 'GET /v1/calendars/{year}', as: 'handler', path: { year: '2026' }, query: { unit: 'P_BACH_KHOA' } },
    {
      op: 'PUT /v1/calendars/{year}',
      as: 'admin',
      path: { year: '2030' },
      query: { unit: 'P_BACH_KHOA' },
      body: {
        timezone: 'Asia/Ho_Chi_Minh',
        provisional: true,
        officeHours: { mon: ['08:00-12:00', { start: '13:00', end: '17:00' }] },
        daysOff: [{ date: '2030-04-30', name: 'Giải phóng miền Nam' }],
        extraWorkingDays: [{ date: '2030-01-12', name: 'Làm bù', hours: ['08:00-12:00'] }],
      },
      // The days against the path's year and against each other.
      described: [
        { message: /is not in \d+; a date of another year/, phrase: "of the calendar's year" },
        { message: /is listed twice|is also listed in/, phrase: 'each day listed once' },
        { message: /overlaps/, phrase: 'not overlapping' },
        { message: /is not the year of the path/, phrase: "the path's year, or left out" },
        { message: /already a working day/, phrase: 'a day with office hours already takes hours' },
      ],
    },
    { op: 'POST /v1/calendars/{year}/recompute-deadlines', as: 'admin', path: { year: '2026' }, query: { unit: 'P_BACH_KHOA', dryRun: 'true' } },
    { op: 'POST /v1/calendars/{year}/ics', as: 'admin', path: { year: '2026' }, query: { unit: 'P_BACH_KHOA' }, text: { type: 'text/calendar', body: ICS } },
    // Audits.
    { op: 'POST /v1/audits/samples', as: 'auditor', body: { unitCode: 'P_BACH_KHOA', from: '2025-01-01', to: '2025-03-31', size: 10, seed: 'NV-2025-Q1' } },
    {
      op: 'POST /v1/audits/reviews',
      as: 'auditor',
      body: { caseId: w.caseId, scores: { addressesIssue: 2, evidence: 1, lawful: 2, politeClear: 0 }, comment: 'Trả lời đúng trọng tâm.' },
    },
    {
      op: 'GET /v1/audits/verify',
      as: 'auditor',
      query: { fromSeq: '1', toSeq: '3' },
      // One query parameter against another, or against the chain as it stands.
      described: [
        { message: /give fromSeq or fromId, not both/, phrase: 'instead of fromSeq' },
        { message: /give toSeq or toId, not both/, phrase: 'instead of toSeq' },
        { message: /takes no fromSeq, toSeq, fromId or toId/, phrase: 'Takes no range' },
        { message: /past the chain's last position/, phrase: "past the chain's last is refused" },
        { message: /the range ends .* before it starts/, phrase: 'not before the first' },
      ],
    },
    { op: 'GET /v1/audits/units', as: 'auditor', query: { from: '2025-01-01', to: '2025-03-31', format: 'json' } },
    { op: 'GET /v1/audits/units/{code}/cases', as: 'auditor', path: { code: 'P_BACH_KHOA' }, query: { from: '2025-01-01', to: '2025-03-31' } },
    { op: 'GET /v1/audits/cases', as: 'auditor', query: { from: '2025-01-01', to: '2025-03-31', unit: 'P_BACH_KHOA', format: 'csv' } },
    // Reorganisations: dry runs (the variants that schedule one schedule it in 2099).
    {
      op: 'POST /v1/reorganisations',
      as: 'admin',
      query: { dryRun: 'true' },
      body: {
        name: 'Sắp xếp thử',
        effectiveAt: '2099-01-01T00:00:00+07:00',
        triageUnit: 'VP',
        newUnits: [
          {
            code: 'P_THU',
            name: 'Phường Thử',
            kind: 'ward',
            aliases: ['Thử'],
            handler: { username: 'p.thu.handler', fullName: 'Nguyễn Văn Thử' },
            leader: { username: 'p.thu.leader', fullName: 'Trần Thị Thử' },
            area: { code: 'THU', name: 'Phường Thử', match: ['thu'], streets: ['Phố Thử'] },
          },
        ],
        merges: [{ into: 'P_THU', from: ['P_CAU_DEN'] }],
        splits: [
          {
            unit: 'P_BACH_MAI',
            into: [
              { unit: 'P_THU', streets: ['Phố Thử'], patterns: ['thu'] },
              { unit: 'P_QUYNH_MAI', streets: ['Phố Quỳnh'], patterns: ['quynh'] },
            ],
            fallback: 'P_QUYNH_MAI',
          },
        ],
        renames: [{ unit: 'P_BACH_KHOA', name: 'Phường Bách Khoa', aliases: ['Bách Khoa'] }],
        dissolutions: [{ unit: 'P_DONG_MAC', successor: 'P_THU' }],
        rules: [{ id: 'public-order-to-police', unit: 'CONG_AN' }],
      },
      described: [{ message: /more than once in the plan|is listed twice|is already (renamed|re-pointed|a street of)/, phrase: 'says against another' }],
    },
    { op: 'GET /v1/reorganisations/{id}', as: 'admin', path: { id: uuidOf(seededRandom(2)) } },
    { op: 'DELETE /v1/reorganisations/{id}', as: 'admin', path: { id: uuidOf(seededRandom(3)) } },
    // The hotline.
    {
      op: 'POST /v1/hotline/feedback',
      as: 'operator',
      body: { ...FEEDBACK, externalId: 'conf-hl-0', citizen: { name: 'Ngô Văn Tư', phone: '0912 345 678', email: 'tu.ngo@example.vn' } },
      fresh: freshField('externalId', (n) => `conf-hl-${n}`),
    },
    { op: 'GET /v1/hotline/cases', as: 'operator', query: { phone: '0912345678' } },
    { op: 'GET /v1/hotline/cases/{trackingCode}', as: 'operator', path: { trackingCode: w.hotlineCode } },
    {
      op: 'POST /v1/hotline/cases/{trackingCode}/info',
      as: 'operator',
      path: { trackingCode: w.hotlineCode },
      body: { message: 'Số nhà 25.', attachments: [ATTACHMENT] },
    },
    { op: 'POST /v1/hotline/cases/{trackingCode}/rating', as: 'operator', path: { trackingCode: w.hotlineCode }, body: { score: 4, comment: 'Tốt.' } },
    // The directive's targets and the board.
    {
      op: 'POST /v1/compliance/targets',
      as: 'admin',
      body: {
        id: 'conf-0',
        kind: 'staff_onboarding',
        name: 'Cán bộ có tài khoản',
        dueAt: '2026-07-25',
        thresholdPercent: 90,
        atRiskDays: 3,
        unitKinds: ['ward'],
        active: false,
      },
      fresh: freshField('id', (n) => `conf-${n}`),
    },
    {
      op: 'PATCH /v1/compliance/targets/{id}',
      as: 'admin',
      path: { id: 'staff-onboarding' },
      body: { name: 'Cán bộ có tài khoản iHaNoi', dueAt: '2026-07-25', thresholdPercent: 95, atRiskDays: 5, unitKinds: ['ward'], active: false },
      described: [
        { message: /is taken only by|is required for a|must name at least one kind of unit|of a ward_adoption target must be/, phrase: 'kind decides' },
      ],
    },
    { op: 'GET /v1/compliance/board', as: 'auditor', query: { at: '2026-07-26T09:00:00+07:00', from: '2026-07-01', format: 'json' } },
    {
      op: 'PUT /v1/units/{code}/headcount',
      as: 'admin',
      path: { code: 'P_BACH_KHOA' },
      body: { withAccount: 40, asOf: '2026-07-20', staff: 42 },
      described: [
        { message: /must not exceed total/, phrase: 'at most the total' },
        { message: /must not be in the future/, phrase: 'not in the future' },
      ],
    },
    { op: 'GET /v1/units/{code}/headcount', as: 'leader', path: { code: 'P_BACH_KHOA' } },
    {
      op: 'PUT /v1/units/{code}/adoption',
      as: 'admin',
      path: { code: 'P_BACH_KHOA' },
      body: { withAccount: 4000, asOf: '2026-07-20', adults: 12000 },
      described: [
        { message: /must not exceed total/, phrase: 'at most the total' },
        { message: /must not be in the future/, phrase: 'not in the future' },
      ],
    },
    { op: 'GET /v1/units/{code}/adoption', as: 'leader', path: { code: 'P_BACH_KHOA' } },
    {
      op: 'POST /v1/notices',
      as: 'handler',
      body: { title: 'Cắt nước', body: 'Cắt nước từ 8 giờ đến 12 giờ ngày 10/12.', kind: 'warning', urgent: false, areaCodes: ['BACH_KHOA'] },
    },
    { op: 'GET /v1/notices', as: 'handler', query: { unit: 'P_BACH_KHOA', from: '2026-12-01', to: '2026-12-31', limit: '50' }, opaque: ['cursor'] },
    { op: 'PUT /v1/channels/{code}/notices', as: 'admin', path: { code: 'web_portal' }, body: { subscribed: true } },
    { op: 'GET /board', as: null, query: { from: '2026-07-01', at: '2026-07-26' } },
    { op: 'GET /board/view', as: 'auditor', query: { at: '2026-07-26T09:00:00+07:00', from: '2026-07-01' } },
    // Personal data.
    {
      op: 'GET /v1/privacy/reads',
      as: 'admin',
      query: { caseId: w.caseId, from: '2026-12-01', to: '2026-12-31', format: 'json' },
      described: [{ message: /give caseId, phone or email/, phrase: 'Give caseId, phone or email' }],
    },
    // Open311 GeoReport v2: public reads, and a POST that names its channel by api_key in the body.
    ...['json', 'xml'].flatMap((format): Fixture[] => [
      { op: `GET /open311/v2/discovery.${format}`, as: null, query: { jurisdiction_id: 'hbt' } },
      { op: `GET /open311/v2/services.${format}`, as: null },
      { op: `GET /open311/v2/services/{service_code}.${format}`, as: null, path: { service_code: 'sanitation' } },
      {
        op: `GET /open311/v2/requests.${format}`,
        as: null,
        query: { service_code: 'sidewalk_encroachment', status: 'open', start_date: '2026-11-01' },
        described: [
          { message: /unknown service_code/, phrase: 'one that is not a service is refused' },
          { message: /more than 90 days apart/, phrase: 'at most 90 days before it' },
          { message: /start_date is after end_date/, phrase: 'not after end_date' },
        ],
      },
      { op: `GET /open311/v2/requests/{service_request_id}.${format}`, as: null, path: { service_request_id: w.trackingCode } },
      { op: `GET /open311/v2/tokens/{token}.${format}`, as: null, path: { token: w.caseId } },
      {
        op: `POST /open311/v2/requests.${format}`,
        as: null,
        body: GEOREPORT_REQUEST,
        fresh: freshField('attribute[external_id]', (n) => `conf-o311-${n}`),
        // The key again as X-Api-Key, which the body's api_key overrides: a body without api_key is still a
        // channel's, read and judged (a request with no key at all is refused with 403 before its body is read).
        headers: { 'X-Api-Key': DEV_KEYS.ihanoi },
        // An api_key that is not a channel's key: the document says so in words.
        answers: [403],
      },
    ]),
    // Logins last: the failed ones count against the address's limit.
    { op: 'POST /v1/auth/login', as: null, body: { username: 'nobody.here', password: 'not-the-password' }, answers: [401] },
    { op: 'POST /v1/auth/password', as: 'changer', body: { currentPassword: 'not-the-password', newPassword: STRONG_PASSWORD }, answers: [403] },
  ];
}

// ---------------------------------------------------------------------------------------------------

interface Sent {
  fixture: Fixture;
  variant: Variant | null;
  req: SampleRequest;
  problems: string[];
}

function buildRequests(oracle: RequestOracle, f: Fixture, random: () => number): Sent[] {
  const op = oracle.operations.get(f.op)!;
  const base: SampleRequest = { path: { ...f.path }, query: { ...f.query }, headers: {}, body: f.body };
  const variants: Variant[] = [];
  for (const p of op.parameters) {
    if (f.fixed?.includes(p.name)) continue;
    variants.push(...parameterVariants(oracle, p, parameterOf(base, p), random));
  }
  if (op.body && f.body !== undefined) variants.push(...bodyVariants(oracle, op.body, f.body, random, f.only));
  return variants
    .map((variant) => {
      const req: SampleRequest = { path: { ...base.path }, query: { ...base.query }, headers: { ...base.headers }, body: base.body };
      const { place, value } = variant;
      if (place.in === 'body') req.body = place.path.length === 0 && value === OMIT ? undefined : withValue(base.body ?? null, place.path, value);
      else {
        const where = parametersIn(req, place.in);
        if (value === OMIT) delete where[place.name];
        else where[place.name] = String(value);
      }
      return { fixture: f, variant, req, problems: oracle.problems(op, req) };
    })
    .filter((s) => {
      // A value the generator makes up for an opaque parameter is valid by the document only in shape.
      const place = s.variant?.place;
      return !(place && place.in !== 'body' && f.opaque?.includes(place.name) && s.variant?.value !== OMIT && s.problems.length === 0);
    });
}

/** Up to `n` requests, half the document calls valid and half invalid when there are enough of each. */
function pick(all: Sent[], n: number, random: () => number): Sent[] {
  if (n === 0) return all;
  const valid = all.filter((s) => s.problems.length === 0);
  const invalid = all.filter((s) => s.problems.length > 0);
  const half = Math.ceil(n / 2);
  const v = sample(valid, Math.max(half, n - invalid.length), random);
  const i = sample(invalid, n - v.length, random);
  return [...v, ...i];
}

function urlOf(op: Operation, req: SampleRequest): string {
  const path = op.template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(req.path[name] ?? ''));
  const query = Object.entries(req.query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return query ? `${path}?${query}` : path;
}

/**
 * Whether an error answer names a field the document finds wrong: the one the variant changed, or one it
 * conflicts with (a rule of one field against another names either), a required one it left out.
 */
function namesField(b: ErrorBody, place: Place, problems: string[]): boolean {
  const text = `${b.message ?? ''} ${(b.errors ?? []).map((e) => e.field).join(' ')}`;
  if (place.in !== 'body') return text.includes(place.name);
  // The body as a whole (not an object at all): there is no field to name.
  if (place.path.length === 0) return true;
  const names = new Set<string>(place.path.filter((k): k is string => typeof k === 'string').slice(-1));
  for (const p of problems) {
    const required = /must have required property '([^']+)'/.exec(p)?.[1];
    if (required) names.add(required);
    const at = /^body\/(\S+)/.exec(p)?.[1];
    if (at)
      names.add(
        at
          .split('/')
          .filter((k) => !/^\d+$/.test(k))
          .pop() ?? '',
      );
  }
  names.delete('');
  return [...names].some((n) => text.includes(n)) || text.includes(placePath(place.path));
}

type ErrorBody = { message?: string; errors?: { field: string }[] };

/** The API's error body, or GeoReport v2's (`[{ code, description }]`, or `<errors>` in XML) read as one. */
function messageOf(res: Pick<Response, 'body' | 'text' | 'type'>): ErrorBody {
  if (Array.isArray(res.body)) return { message: res.body.map((e) => String((e as { description?: unknown })?.description ?? '')).join(' ') };
  if (/xml/.test(res.type ?? '') && res.text) {
    return {
      message: [...res.text.matchAll(/<description>([^<]*)<\/description>/g)]
        .map((m) =>
          m[1]
            .replace(/&apos;/g, "'")
            .replace(/&quot;/g, '"')
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&amp;/g, '&'),
        )
        .join(' '),
    };
  }
  return (res.body ?? {}) as ErrorBody;
}

function preview(v: unknown): string {
  const s = v === undefined ? 'undefined' : JSON.stringify(v);
  return s.length > 140 ? `${s.slice(0, 140)}… (${s.length} chars)` : s;
}

describe('requests judged by the OpenAPI document, as validating proxies and property testers judge them', () => {
  let engine: TestEngine;
  let oracle: RequestOracle;
  let world: World;
  let all: Fixture[] = [];

  beforeAll(async () => {
    engine = await TestEngine.start({
      env: {
        // The logins fixture sends dozens of failed logins from one address, and the channel dozens of lookups.
        FR_LOGIN_LIMIT_PER_IP: '100000',
        FR_LOGIN_LIMIT_PER_ACCOUNT: '100000',
        FR_LOGIN_LIMIT_PER_ACCOUNT_IP: '100000',
        FR_LOOKUP_LIMIT_PER_CHANNEL: '100000',
        FR_PRIVACY_LIMIT_PER_CHANNEL: '100000',
        // Webhook URLs name hosts that resolve nowhere here; allowed, they are taken without a lookup.
        FR_WEBHOOK_ALLOW_HOSTS: 'hooks.example.vn,cdn.example.vn,files.example.vn',
      },
    });
    oracle = new RequestOracle(buildOpenApiDocument(engine.api));
    const admin = await adminToken(engine);
    const made: Record<string, { id: string; token: string }> = {};
    for (const [key, username, role, unitCode] of [
      ['handler', 'conf.bk.handler', 'HANDLER', 'P_BACH_KHOA'],
      ['cover', 'conf.bk.cover', 'HANDLER', 'P_BACH_KHOA'],
      ['victim', 'conf.bk.victim', 'HANDLER', 'P_BACH_KHOA'],
      ['changer', 'conf.bk.changer', 'HANDLER', 'P_BACH_KHOA'],
      ['leader', 'conf.bk.leader', 'LEADER', 'P_BACH_KHOA'],
      ['supervisor', 'conf.vp.supervisor', 'SUPERVISOR', 'VP'],
      ['auditor', 'conf.nv.auditor', 'AUDITOR', 'NOI_VU'],
      ['operator', 'conf.vp.operator', 'OPERATOR', 'VP'],
    ] as const) {
      made[key] = await createOfficer(engine, admin, { username, role, unitCode });
    }
    const headers: World['headers'] = { admin: bearer(admin), ihanoi: { 'X-Api-Key': DEV_KEYS.ihanoi } };
    for (const [key, o] of Object.entries(made)) headers[key] = bearer(o.token);

    // The seeded handler of Bách Khoa gets the cases; ours acts as any handler of the unit.
    const citizenCase = await submitRouted(engine, headers.ihanoi, { ...FEEDBACK, externalId: 'conf-case-1' });
    const actionCase = await submitRouted(engine, headers.ihanoi, { ...FEEDBACK, externalId: 'conf-case-2' });
    await actOnCase(engine, headers.handler, actionCase.id, 'acknowledge', { severity: 'normal' });
    const hotline = await engine
      .http()
      .post('/v1/hotline/feedback')
      .set(headers.operator)
      .send({ ...FEEDBACK, externalId: 'conf-hl-case', citizen: { name: 'Ngô Văn Tư', phone: '0912 345 678' } });
    expect(hotline.status).toBe(202);
    const webhook = await engine
      .http()
      .post('/v1/webhooks')
      .set(headers.admin)
      .send({ url: 'https://hooks.example.vn/fr', events: ['case.status'] });
    expect(webhook.status).toBe(201);
    const privacy = await engine.http().post('/v1/privacy/requests').set(headers.ihanoi).send({ kind: 'access', phone: '0987 000 222' });
    expect(privacy.status).toBe(201);
    const units = await engine.http().get('/v1/units').set(headers.admin);
    const cauDen = (units.body as { code: string; handler: { id: string } | null; leader: { id: string } | null }[]).find((u) => u.code === 'P_CAU_DEN')!;
    world = {
      headers,
      caseId: citizenCase.id,
      trackingCode: citizenCase.trackingCode,
      actionCaseId: actionCase.id,
      hotlineCode: (hotline.body as { trackingCode: string }).trackingCode,
      officerId: made.handler.id,
      coverId: made.cover.id,
      victimId: made.victim.id,
      webhookId: (webhook.body as { id: string }).id,
      privacyRequestId: (privacy.body as { id: string }).id,
      cauDen: { handlerId: cauDen.handler?.id ?? null, leaderId: cauDen.leader?.id ?? null },
    };
    all = fixtures(world);
  });
  afterAll(() => engine?.close());

  it('has a fixture for every operation that takes parameters or a JSON body', () => {
    const covered = new Set(all.map((f) => f.op));
    const missing = [...oracle.operations.values()]
      .filter((op) => op.parameters.length > 0 || op.body)
      .map((op) => op.key)
      .filter((key) => !covered.has(key) && key !== 'POST /v1/compliance/figures');
    expect(missing).toEqual([]);
    for (const f of all) expect(oracle.operations.has(f.op) ? f.op : `${f.op} (not in the document)`).toBe(f.op);
  });

  it("sends each fixture with the credentials its operation asks for: a channel's key, or an officer of one of its roles", () => {
    const wrong = all.flatMap((f) => {
      const op = oracle.operations.get(f.op)!;
      const as = f.as === null ? null : CREDENTIALS[f.as];
      const fits = op.security.includes('channel')
        ? as === 'channel'
        : op.security.includes('bearer')
          ? as !== null && as !== 'channel' && (op.roles.length === 0 || op.roles.includes(as))
          : as === null;
      return fits
        ? []
        : [`${f.op}${f.name ? ` (${f.name})` : ''}: sent as ${f.as}, the document asks for ${op.security.join(', ') || 'none'} ${op.roles.join(', ')}`];
    });
    expect(wrong).toEqual([]);
  });

  it('starts from requests the document calls valid and the API takes', async () => {
    const failures: string[] = [];
    for (const f of all) {
      const op = oracle.operations.get(f.op)!;
      const req: SampleRequest = { path: { ...f.path }, query: { ...f.query }, body: f.body };
      const problems = oracle.problems(op, req);
      if (problems.length) failures.push(`${f.op}${f.name ? ` (${f.name})` : ''}: the fixture breaks the document: ${problems.join('; ')}`);
      else {
        f.fresh?.(req, ++sequence, { in: 'query', name: '' });
        const failure = await judge(op, { fixture: f, variant: null, req, problems });
        if (failure) failures.push(failure);
      }
    }
    expect(failures).toEqual([]);
  });

  it('agrees with the document on every request derived from it', async () => {
    const random = seededRandom(SEED);
    const failures: string[] = [];
    let sent = 0;
    for (const f of all) {
      const op = oracle.operations.get(f.op)!;
      const requests = pick(buildRequests(oracle, f, random), PER_FIXTURE, random);
      for (const s of requests) {
        sequence += 1;
        f.fresh?.(s.req, sequence, s.variant!.place);
        sent += 1;
        const failure = await judge(op, s);
        if (failure) failures.push(failure);
      }
    }
    if (failures.length) console.log(`${failures.length} of ${sent} requests disagree with the document:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
  });

  async function judge(op: Operation, s: Sent): Promise<string | null> {
    const f = s.fixture;
    let res: Response;
    const url = urlOf(op, s.req);
    try {
      let r = engine.http()[op.method as 'get'](url);
      if (f.as) r = r.set(world.headers[f.as]);
      if (f.headers) r = r.set(f.headers);
      // The document's header parameters (an Idempotency-Key), as a client sets them.
      for (const [name, value] of Object.entries(s.req.headers ?? {})) r = r.set(name, value);
      if (f.text) r = r.set('Content-Type', f.text.type).send(f.text.body);
      else if (s.req.body !== undefined) r = r.set('Content-Type', 'application/json').send(JSON.stringify(s.req.body));
      res = await r;
    } catch (e) {
      return `${op.key} [${s.variant?.label}]: ${(e as Error).message.split('\n').slice(0, 3).join(' ')}`;
    }
    const where = `${op.key}${f.name ? ` (${f.name})` : ''} [${s.variant?.label ?? 'the fixture'}] ${s.variant && s.variant.place.in === 'body' ? preview(s.variant.value === OMIT ? '(left out)' : s.variant.value) : url}`;
    const said = `${res.status} ${preview(messageOf(res).message ?? res.text?.slice(0, 100))}`;
    const valid = s.problems.length === 0;
    if (res.status >= 500) return `${where}: answered ${said}`;
    if (valid) {
      if (res.status === 400) {
        const message = messageOf(res).message ?? '';
        const rule = [...(f.described ?? []), ...COMMONLY_DESCRIBED].find((d) => d.message.test(message));
        if (!rule) return `(a) ${where}: valid by the document, refused: ${said}`;
        if (!op.text.includes(rule.phrase)) return `(a) ${where}: refused for a rule the document does not state ('${rule.phrase}' is not in it): ${said}`;
        return null;
      }
      // Done, not found, in conflict with the case's state, or a code the API does not know (422): reasons the document states.
      if ((res.status >= 200 && res.status < 300) || [404, 409, 422].includes(res.status) || f.answers?.includes(res.status)) return null;
      return `(a) ${where}: valid by the document, answered ${said}`;
    }
    const refusals = s.variant?.place.in === 'path' ? [400, 404, 422] : [400, 422];
    if (!refusals.includes(res.status)) return `(b) ${where}: invalid by the document (${s.problems.slice(0, 2).join('; ')}), answered ${said}`;
    if (s.variant && !namesField(messageOf(res), s.variant.place, s.problems) && res.status !== 404)
      return `(b) ${where}: refused without naming the field: ${said}`;
    return null;
  }
});
