import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Citizens' requests about their personal data (Law 91/2025/QH15 art. 4: access, correction,
 * deletion), made through the channel that brought their cases in, each with its legal deadline.
 * The citizen is recorded by keyed hashes of phone and e-mail only; a deletion waiting for cases to
 * close lists them in waiting_case_ids.
 */
export class SubjectRequests1766230000000 implements MigrationInterface {
  name = 'SubjectRequests1766230000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE privacy_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel_code varchar(40) NOT NULL REFERENCES channels (code),
        kind varchar(10) NOT NULL CHECK (kind IN ('access', 'correct', 'delete')),
        status varchar(20) NOT NULL CHECK (status IN ('waiting_for_closure', 'answered')),
        phone_hash bytea NULL,
        email_hash bytea NULL,
        case_ids uuid[] NOT NULL DEFAULT '{}',
        waiting_case_ids uuid[] NOT NULL DEFAULT '{}',
        fields text[] NOT NULL DEFAULT '{}',
        received_at timestamptz NOT NULL,
        due_at timestamptz NOT NULL,
        answered_at timestamptz NULL
      )`);
    await q.query(`CREATE INDEX privacy_requests_received_idx ON privacy_requests (received_at, id)`);
    await q.query(`CREATE INDEX privacy_requests_waiting_idx ON privacy_requests USING gin (waiting_case_ids) WHERE status = 'waiting_for_closure'`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS privacy_requests`);
  }
}
