import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from './app-config';

/** The free-text fields a retention policy may erase with the contact details (config/retention.yaml). */
export const ERASABLE_TEXTS = Object.freeze([
  'description',
  'title',
  'address',
  'messages',
  'ratingComment',
  'answer',
  'whereToGo',
  'attachments',
  'auditTexts',
] as const);
export type ErasableText = (typeof ERASABLE_TEXTS)[number];

export interface RetentionPolicy {
  /** Days after closing before a case's contact details (and `freeText`) are erased. */
  contactAfterCloseDays: number;
  freeText: ErasableText[];
  /** Days the records of reads of contact details are kept. */
  readRecordsKeepDays: number;
  batchSize: number;
  /** Hours within which a subject request of each kind must be answered. */
  subjectRequestHours: { access: number; correct: number; delete: number };
}

/** DOMAIN.md "Personal data": 2 years after closing (*default*). */
export const DEFAULT_RETENTION: RetentionPolicy = Object.freeze({
  contactAfterCloseDays: 730,
  freeText: ['description', 'title', 'address', 'messages', 'ratingComment', 'whereToGo', 'attachments', 'auditTexts'],
  readRecordsKeepDays: 365,
  batchSize: 200,
  subjectRequestHours: { access: 72, correct: 72, delete: 72 },
}) as RetentionPolicy;

/** config/retention.yaml, or the defaults when the file is absent; every problem is listed at once. */
export function loadRetentionPolicy(dir: string): RetentionPolicy {
  const file = join(dir, 'retention.yaml');
  if (!existsSync(file))
    return { ...DEFAULT_RETENTION, freeText: [...DEFAULT_RETENTION.freeText], subjectRequestHours: { ...DEFAULT_RETENTION.subjectRequestHours } };
  return parseRetentionPolicy(readFileSync(file, 'utf8'));
}

export function parseRetentionPolicy(text: string): RetentionPolicy {
  const problems: string[] = [];
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const section = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
  const contact = section(doc.contactDetails);
  const reads = section(doc.readRecords);
  const requests = section(doc.subjectRequests);
  const days = (v: unknown, where: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      problems.push(`retention.yaml ${where}: a whole number (0 or more), got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };
  let freeText = [...DEFAULT_RETENTION.freeText];
  if (contact.freeText !== undefined) {
    if (!Array.isArray(contact.freeText)) problems.push('retention.yaml contactDetails.freeText: a list');
    else {
      const unknown = contact.freeText.filter((f) => !(ERASABLE_TEXTS as readonly unknown[]).includes(f));
      if (unknown.length)
        problems.push(
          `retention.yaml contactDetails.freeText: unknown ${unknown.map((u) => JSON.stringify(u)).join(', ')} (one of ${ERASABLE_TEXTS.join(', ')})`,
        );
      freeText = contact.freeText.filter((f): f is ErasableText => (ERASABLE_TEXTS as readonly unknown[]).includes(f));
    }
  }
  const batchSize = days(doc.batchSize, 'batchSize', DEFAULT_RETENTION.batchSize);
  if (batchSize < 1) problems.push('retention.yaml batchSize: at least 1');
  const policy: RetentionPolicy = {
    contactAfterCloseDays: days(contact.afterCloseDays, 'contactDetails.afterCloseDays', DEFAULT_RETENTION.contactAfterCloseDays),
    freeText,
    readRecordsKeepDays: days(reads.keepDays, 'readRecords.keepDays', DEFAULT_RETENTION.readRecordsKeepDays),
    batchSize,
    subjectRequestHours: {
      access: days(requests.accessHours, 'subjectRequests.accessHours', DEFAULT_RETENTION.subjectRequestHours.access),
      correct: days(requests.correctHours, 'subjectRequests.correctHours', DEFAULT_RETENTION.subjectRequestHours.correct),
      delete: days(requests.deleteHours, 'subjectRequests.deleteHours', DEFAULT_RETENTION.subjectRequestHours.delete),
    },
  };
  if (problems.length) throw new ConfigError(problems);
  return policy;
}
