import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '@fr/config';
import { isUuid, NotFoundError, ValidationError } from '@fr/domain';
import { execute, selectRows, Sql, writeAuditEvent } from '@fr/persistence';
import { Clock } from '@fr/sla';
import { contactHash, contactHashes, externalIdHash, requestHash } from './contact-hash';

export interface ContactReadFilter {
  caseId?: string;
  phone?: string;
  email?: string;
  from?: Date;
  to?: Date;
}

export interface ContactReadView {
  caseId: string;
  trackingCode: string;
  officer: { id: string; username: string; fullName: string; role: string; unitCode: string | null };
  readAt: string;
}

export interface ReaderView {
  id: string;
  username: string;
  fullName: string;
  role: string;
  unitCode: string | null;
  reads: number;
  firstReadAt: string;
  lastReadAt: string;
}

interface ReadRow {
  case_id: string;
  tracking_code: string;
  officer_id: string;
  username: string;
  full_name: string;
  role: string;
  unit_code: string | null;
  read_at: Date;
}

/** At most this many records a query; an investigation narrows by period. */
export const CONTACT_READS_LIMIT = 10_000;

/**
 * Records of reads of citizens' contact details: written wherever the API returns them unmasked,
 * listed for an investigation. A breach of personal data is reported within 72 hours (Decree
 * 356/2025/NĐ-CP; DOMAIN.md "Personal data"): these records say whose data each officer saw.
 */
@Injectable()
export class ContactReads {
  constructor(
    private readonly ds: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** One officer read the contact details of one case (phone and e-mail as the case held them). */
  async record(db: Sql, officerId: string, c: { id: string; phone: string | null; email: string | null }): Promise<void> {
    await execute(db, `INSERT INTO contact_reads (case_id, officer_id, read_at, phone_hash, email_hash) VALUES ($1, $2, $3, $4, $5)`, [
      c.id,
      officerId,
      this.clock.now(),
      c.phone ? contactHash(this.config.privacyKey, 'phone', c.phone) : null,
      c.email ? contactHash(this.config.privacyKey, 'email', c.email) : null,
    ]);
  }

  hash(kind: 'phone' | 'email', value: string): Buffer {
    return contactHash(this.config.privacyKey, kind, value);
  }

  /** Every hash a record of this contact may hold: its own first, then those records kept before hold (contactHashes). */
  hashes(kind: 'phone' | 'email', value: string): Buffer[] {
    return contactHashes(this.config.privacyKey, kind, value);
  }

  requestHash(canonical: string): Buffer {
    return requestHash(this.config.privacyKey, canonical);
  }

  externalIdHash(channel: string, externalId: string): Buffer {
    return externalIdHash(this.config.privacyKey, channel, externalId);
  }

  /** The reads matching the filter, oldest first, and every officer among them. */
  async list(f: ContactReadFilter, db: Sql = this.ds): Promise<{ items: ContactReadView[]; readers: ReaderView[] }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.caseId !== undefined) {
      if (!isUuid(f.caseId)) throw new ValidationError('caseId must be a case id (uuid)', ['caseId']);
      where.push(`r.case_id = ${p(f.caseId)}`);
    }
    // Reads recorded before the number was read as the domain reads it hold the hash of an earlier form.
    if (f.phone !== undefined) where.push(`r.phone_hash = ANY(${p(this.hashes('phone', f.phone))}::bytea[])`);
    if (f.email !== undefined) where.push(`r.email_hash = ${p(this.hash('email', f.email))}`);
    if (where.length === 0) throw new ValidationError('give caseId, phone or email: whose reads to list', ['caseId', 'phone', 'email']);
    if (f.from) where.push(`r.read_at >= ${p(f.from)}`);
    if (f.to) where.push(`r.read_at < ${p(f.to)}`);
    const rows = await selectRows<ReadRow>(
      db,
      `SELECT r.case_id::text AS case_id, c.tracking_code, r.officer_id::text AS officer_id, o.username, o.full_name, o.role, o.unit_code, r.read_at
         FROM contact_reads r JOIN cases c ON c.id = r.case_id JOIN officers o ON o.id = r.officer_id
        WHERE ${where.join(' AND ')} ORDER BY r.read_at, r.id LIMIT ${CONTACT_READS_LIMIT}`,
      params,
    );
    const readers = new Map<string, ReaderView>();
    const items = rows.map((r) => {
      const at = new Date(r.read_at).toISOString();
      const seen = readers.get(r.officer_id);
      if (seen) {
        seen.reads++;
        seen.lastReadAt = at;
      } else {
        readers.set(r.officer_id, {
          id: r.officer_id,
          username: r.username,
          fullName: r.full_name,
          role: r.role,
          unitCode: r.unit_code,
          reads: 1,
          firstReadAt: at,
          lastReadAt: at,
        });
      }
      return {
        caseId: r.case_id,
        trackingCode: r.tracking_code,
        officer: { id: r.officer_id, username: r.username, fullName: r.full_name, role: r.role, unitCode: r.unit_code },
        readAt: at,
      };
    });
    return { items, readers: [...readers.values()] };
  }

  /** An investigator's export is itself recorded: who asked, by what (never the phone or e-mail asked for). */
  async export(actor: string, f: ContactReadFilter): Promise<{ items: ContactReadView[]; readers: ReaderView[] }> {
    return this.ds.transaction(async (m: EntityManager) => {
      // The export's audit event names the case: one that does not exist is a 404, not a broken reference.
      if (f.caseId && (await selectRows(m, `SELECT 1 FROM cases WHERE id = $1::uuid`, [f.caseId])).length === 0) throw new NotFoundError('case', f.caseId);
      const result = await this.list(f, m);
      await writeAuditEvent(m, {
        caseId: f.caseId ?? null,
        actor,
        action: 'contact_reads_exported',
        data: { by: f.caseId ? 'case' : f.phone ? 'phone' : 'email', records: result.items.length, readers: result.readers.length },
      });
      return result;
    });
  }

  /** Records older than the policy keeps them; part of the daily sweep. */
  purge(before: Date): Promise<number> {
    return execute(this.ds, `DELETE FROM contact_reads WHERE read_at < $1`, [before]);
  }
}
