import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks per the Standard Webhooks specification: `whsec_` secrets, a previous secret still signing
 * during a rotation's overlap, and deliveries that carry their message id and the payload frozen
 * when the event happened.
 */
export class StandardWebhooks1765550000000 implements MigrationInterface {
  name = 'StandardWebhooks1765550000000';

  public async up(q: QueryRunner): Promise<void> {
    // A secret of the first version was a string used as the HMAC key; `whsec_` + the base64 of its
    // UTF-8 bytes is the same key, so a receiver that prefixes its secret that way keeps verifying.
    const asWhsec = (col: string) => `'whsec_' || translate(encode(convert_to(${col}, 'UTF8'), 'base64'), E'\\n', '')`;
    await q.query(`UPDATE webhooks SET secret = ${asWhsec('secret')} WHERE secret NOT LIKE 'whsec\\_%'`);
    await q.query(`UPDATE channels SET webhook_secret = ${asWhsec('webhook_secret')} WHERE webhook_secret NOT LIKE 'whsec\\_%'`);
    await q.query(`ALTER TABLE webhooks ADD COLUMN previous_secret text NULL, ADD COLUMN previous_secret_expires_at timestamptz NULL`);
    await q.query(`ALTER TABLE channels ADD COLUMN webhook_previous_secret text NULL, ADD COLUMN webhook_previous_secret_expires_at timestamptz NULL`);
    // message_id is the webhook-id, the same on every retry; payload is what every attempt sends
    // (NULL only for deliveries made before this migration, which are composed when sent, as before).
    await q.query(`ALTER TABLE deliveries ADD COLUMN message_id uuid NOT NULL DEFAULT gen_random_uuid(), ADD COLUMN payload jsonb NULL`);
    // What a citizen-visible event showed of its case (state, unit, deadline, answer) when it was
    // recorded, written by the transaction that records it; the fan-out copies it into the event's
    // deliveries and removes it. Kept apart from the audit trail, which must not hold the answer's text.
    await q.query(`
      CREATE TABLE case_event_states (
        event_id bigint PRIMARY KEY,
        status varchar(20) NOT NULL,
        unit_code varchar(40) NULL,
        unit_name varchar(200) NULL,
        due_at timestamptz NULL,
        answer text NULL
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS case_event_states`);
    await q.query(`ALTER TABLE deliveries DROP COLUMN payload, DROP COLUMN message_id`);
    await q.query(`ALTER TABLE channels DROP COLUMN webhook_previous_secret, DROP COLUMN webhook_previous_secret_expires_at`);
    await q.query(`ALTER TABLE webhooks DROP COLUMN previous_secret, DROP COLUMN previous_secret_expires_at`);
    // Secrets stay in their whsec_ form: the first version would sign with that string as its key,
    // so receivers must be given the whsec_ string as their secret after a downgrade.
  }
}
