import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { generateWebhookSecret, signingSecrets, webhookSecretProblem, webhookSignature } from './webhook-signature';

describe('webhook signatures (Standard Webhooks)', () => {
  const body = JSON.stringify({ event: 'case.status', trackingCode: '7KM3Q-9X2AB', answer: 'Đã xử lý xong vỉa hè' });
  const now = () => Math.floor(Date.now() / 1000);

  it('are verified by the reference library, for a generated secret and for a converted first-version secret', () => {
    const legacy = `whsec_${Buffer.from('kenh-ihanoi-bi-mat-2026', 'utf8').toString('base64')}`;
    for (const secret of [generateWebhookSecret(), legacy]) {
      const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now()), 'webhook-signature': webhookSignature([secret], 'msg_1', now(), body) };
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    }
  });

  it('carry one signature per secret during a rotation, each verifiable alone', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const ts = now();
    const header = webhookSignature([newSecret, oldSecret], 'msg_2', ts, body);
    expect(header.split(' ')).toHaveLength(2);
    for (const s of [oldSecret, newSecret]) {
      expect(() => new Webhook(s).verify(body, { 'webhook-id': 'msg_2', 'webhook-timestamp': String(ts), 'webhook-signature': header })).not.toThrow();
    }
    const stranger = generateWebhookSecret();
    expect(() => new Webhook(stranger).verify(body, { 'webhook-id': 'msg_2', 'webhook-timestamp': String(ts), 'webhook-signature': header })).toThrow(
      WebhookVerificationError,
    );
  });

  it('bind the id and the timestamp: a changed id or an old timestamp is refused', () => {
    const secret = generateWebhookSecret();
    const old = now() - 6 * 60;
    const sig = webhookSignature([secret], 'msg_3', old, body);
    expect(() => new Webhook(secret).verify(body, { 'webhook-id': 'msg_3', 'webhook-timestamp': String(old), 'webhook-signature': sig })).toThrow(/too old/);
    const fresh = webhookSignature([secret], 'msg_3', now(), body);
    expect(() => new Webhook(secret).verify(body, { 'webhook-id': 'msg_4', 'webhook-timestamp': String(now()), 'webhook-signature': fresh })).toThrow(
      /No matching signature/,
    );
  });

  it('use the previous secret only until its overlap ends', () => {
    const t = new Date('2026-12-01T10:00:00Z');
    expect(signingSecrets('new', 'old', new Date('2026-12-01T10:00:01Z'), t)).toEqual(['new', 'old']);
    expect(signingSecrets('new', 'old', t, t)).toEqual(['new']);
    expect(signingSecrets('new', null, null, t)).toEqual(['new']);
  });

  it.each([
    ['no prefix', 'a-secret-of-16-chars+', /whsec_/],
    ['not base64', 'whsec_not base64!', /whsec_/],
    ['too short a key', `whsec_${Buffer.alloc(16).toString('base64')}`, /has 16 bytes/],
    ['too long a key', `whsec_${Buffer.alloc(65).toString('base64')}`, /has 65 bytes/],
  ])('refuses a chosen secret with %s', (_what, secret, message) => {
    expect(webhookSecretProblem(secret)).toMatch(message);
  });

  it('accepts a generated secret', () => {
    expect(webhookSecretProblem(generateWebhookSecret())).toBeNull();
  });
});
