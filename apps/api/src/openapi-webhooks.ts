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
      externalId: { type: ['string', 'null'], description: "the channel's own id of the feedback, when it gave one" },
      action: { type: 'string', example: 'resolve' },
      from: { type: ['string', 'null'], description: 'the state before' },
      to: { type: ['string', 'null'], description: 'the state after' },
      status: { type: 'string', example: 'resolved' },
      unit: UNIT,
      dueAt: { type: ['string', 'null'], format: 'date-time' },
      answer: { type: ['string', 'null'], description: 'the answer, once the case is resolved or closed' },
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
  NoticeWebhook: otherEvent(
    'notice',
    "A notice posted to units and areas (GET /v1/notices): its fields beside `title` and `body` as the notices' API shows them.",
  ),
  ComplianceWebhook: otherEvent('compliance', "A unit fell behind one of the directive's targets (GET /v1/compliance/board)."),
  PrivacyRequestWebhook: otherEvent(
    'privacy.request',
    "A citizen's request about their data waits for cases to close, or was answered: ids, tracking codes and its state, nothing personal.",
  ),
};

function otherEvent(event: string, description: string): JsonObject {
  return {
    type: 'object',
    description,
    required: ['event', 'title', 'body'],
    properties: { event: { const: event }, title: { type: 'string' }, body: { type: 'string' } },
    additionalProperties: true,
  };
}

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
