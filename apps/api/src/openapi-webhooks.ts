import { JsonObject } from '@fr/domain';
import { WEBHOOK_EVENTS } from '@fr/notifications';

/**
 * The calls the engine makes (OpenAPI 3.1 `webhooks`): what a receiver registered with POST /v1/webhooks
 * or a channel's status webhook gets for each event, with the Standard Webhooks headers that sign it.
 * Written here rather than derived: the payloads are composed in libs/notifications (and libs/board,
 * libs/privacy), not by DTO classes. test/standard-webhooks.e2e-spec.ts checks the deliveries it
 * receives against these schemas, so a payload that changes without them fails there.
 */
const HEADERS: JsonObject[] = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description: 'the message: the same on every retry of it; deduplicate on it',
    schema: { type: 'string', pattern: '^msg_[0-9a-f]{32}$' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description: 'Unix seconds of this attempt; refuse one more than 5 minutes from your clock (the Standard Webhooks libraries do)',
    schema: { type: 'string', pattern: '^[0-9]{1,12}$' },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description:
      'v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>"> under the secret (whsec_ and base64); several, space-separated, during a rotation: accept the call if any one matches',
    schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
  },
];

const UNIT: JsonObject = {
  anyOf: [
    {
      type: 'object',
      required: ['code', 'name'],
      properties: { code: { type: 'string', example: 'P2025_BACH_MAI' }, name: { type: 'string', example: 'Phường Bạch Mai' } },
    },
    { type: 'null' },
  ],
  description: 'the unit handling the case; null while none does (before routing)',
};

const UNIT_NOW: JsonObject = {
  type: 'object',
  required: ['code', 'name'],
  properties: { code: { type: 'string', example: 'P2025_BACH_MAI' }, name: { type: 'string', example: 'Phường Bạch Mai' } },
};

export const WEBHOOK_SCHEMAS: Record<string, JsonObject> = {
  CaseStatusWebhook: {
    type: 'object',
    description:
      "A change the citizen should see, as the case stood when it happened (every retry sends the same bytes). Never the citizen's contact details; phone numbers, e-mail addresses and the citizen's name written in the answer are masked.",
    required: ['event', 'eventId', 'caseId', 'trackingCode', 'externalId', 'action', 'from', 'to', 'status', 'unit', 'dueAt', 'answer', 'at'],
    properties: {
      event: { const: 'case.status' },
      eventId: { type: 'string', pattern: '^[0-9]+$', description: "the audit event's id" },
      caseId: { type: 'string', format: 'uuid' },
      trackingCode: { type: 'string', example: '7KM3Q-9X2AB' },
      externalId: {
        type: ['string', 'null'],
        description:
          "the channel's own id of the feedback, when it gave one: whole to the channel's webhook; to a webhook an administrator registered, with phone numbers and e-mail addresses in it masked (integrators make it of the caller's number); null once the contact details are erased",
      },
      action: { type: 'string', example: 'resolve' },
      from: { type: ['string', 'null'], description: 'the state before' },
      to: { type: ['string', 'null'], description: 'the state after' },
      status: { type: 'string', example: 'resolved' },
      unit: UNIT,
      dueAt: { type: ['string', 'null'], format: 'date-time' },
      answer: { type: ['string', 'null'], description: 'the answer, once the case is resolved or closed' },
      infoRequest: {
        type: ['object', 'null'],
        description:
          'request-info: what the unit asked the citizen (phone numbers, e-mail addresses and names in it masked); absent from deliveries made before it was added',
        required: ['message'],
        properties: { message: { type: 'string' } },
        additionalProperties: false,
      },
      otherTrack: {
        type: ['object', 'null'],
        description:
          "a case closed as a complaint or denunciation: where the citizen should turn (the citizen's own contact masked, an office's left readable); absent from deliveries made before it was added",
        required: ['whereToGo'],
        properties: { whereToGo: { type: 'string' } },
        additionalProperties: false,
      },
      at: { type: 'string', format: 'date-time', description: 'when it happened' },
    },
  },
  EscalationWebhook: {
    type: 'object',
    description: 'A deadline passed and a level of the escalation ladder fired.',
    required: ['event', 'escalationId', 'caseId', 'trackingCode', 'unit', 'stage', 'level', 'dueAt', 'firedAt', 'title', 'body'],
    properties: {
      event: { const: 'escalation' },
      escalationId: { type: 'string', pattern: '^[0-9]+$' },
      caseId: { type: 'string', format: 'uuid' },
      trackingCode: { type: 'string', example: '7KM3Q-9X2AB' },
      unit: UNIT,
      stage: { type: 'string', example: 'resolve' },
      level: { type: 'string', example: '1' },
      dueAt: { type: 'string', format: 'date-time', description: 'the deadline that passed' },
      firedAt: { type: 'string', format: 'date-time' },
      title: { type: 'string' },
      body: { type: 'string' },
    },
  },
  NoticeWebhook: {
    type: 'object',
    description: 'A notice a unit published to residents (GET /v1/notices shows the same).',
    required: ['event', 'noticeId', 'unit', 'title', 'body', 'kind', 'urgent', 'areaCodes', 'publishedAt'],
    properties: {
      event: { const: 'notice' },
      noticeId: { type: 'string' },
      unit: UNIT_NOW,
      title: { type: 'string' },
      body: { type: 'string' },
      kind: { type: 'string', enum: ['warning', 'information'] },
      urgent: { type: 'boolean' },
      areaCodes: { type: 'array', items: { type: 'string' }, description: 'the areas it is for; empty: the whole unit' },
      publishedAt: { type: 'string', format: 'date-time' },
    },
  },
  ComplianceWebhook: {
    type: 'object',
    description: "A unit fell behind one of the directive's targets (GET /v1/compliance/board): a level of its alert fired.",
    required: ['event', 'alertId', 'targetId', 'unit', 'level', 'dueAt', 'firedAt', 'title', 'body'],
    properties: {
      event: { const: 'compliance' },
      alertId: { type: 'string' },
      targetId: { type: 'string' },
      unit: UNIT_NOW,
      level: { type: 'string', enum: ['1', '2', '3'] },
      dueAt: { type: 'string', format: 'date-time' },
      firedAt: { type: 'string', format: 'date-time' },
      title: { type: 'string' },
      body: { type: 'string' },
    },
  },
  PrivacyRequestWebhook: {
    type: 'object',
    description: "A citizen's request about their data waits for cases to close, or was answered: ids, tracking codes and its state, nothing personal.",
    required: ['event', 'title', 'body', 'requestId', 'kind', 'status', 'trackingCodes', 'waitingFor', 'answeredAt'],
    properties: {
      event: { const: 'privacy.request' },
      title: { type: 'string' },
      body: { type: 'string' },
      requestId: { type: 'string', format: 'uuid' },
      kind: { type: 'string', enum: ['access', 'correct', 'delete'] },
      status: { type: 'string', enum: ['waiting_for_closure', 'answered'] },
      trackingCodes: { type: 'array', items: { type: 'string' }, description: 'the cases the request covers' },
      waitingFor: { type: 'array', items: { type: 'string' }, description: 'the cases whose closing the deletion waits for' },
      answeredAt: { type: ['string', 'null'], format: 'date-time' },
    },
  },
};

const SCHEMA_OF: Record<(typeof WEBHOOK_EVENTS)[number], string> = {
  'case.status': 'CaseStatusWebhook',
  escalation: 'EscalationWebhook',
  notice: 'NoticeWebhook',
  compliance: 'ComplianceWebhook',
  'privacy.request': 'PrivacyRequestWebhook',
};

/** The document's `webhooks`: one POST per event a webhook may subscribe to. */
export function webhooksSection(): JsonObject {
  return Object.fromEntries(
    WEBHOOK_EVENTS.map((event) => [
      event,
      {
        post: {
          operationId: `receive_${event.replace('.', '_')}`,
          summary: `The engine's call to a receiver subscribed to '${event}'`,
          tags: ['webhooks'],
          // The receiver checks the signature headers below; no credential of an OpenAPI security scheme.
          security: [],
          parameters: HEADERS,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${SCHEMA_OF[event]}` } } } },
          responses: {
            '2XX': {
              description:
                'received. Anything else, a redirect included, or no answer within FR_WEBHOOK_TIMEOUT_SECONDS, is retried on the Standard Webhooks schedule',
            },
          },
        },
      },
    ]),
  );
}
