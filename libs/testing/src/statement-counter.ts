import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from 'pg';

const recording = new AsyncLocalStorage<string[]>();
let installed = false;

/**
 * Records every statement sent to PostgreSQL by `fn` and what it awaits (each one a round trip),
 * and nothing sent by other work running meanwhile (relay loops, sweeps): statements are attributed
 * by async context, not by time.
 */
export async function recordStatements<T>(fn: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  install();
  const statements: string[] = [];
  const result = await recording.run(statements, fn);
  return { result, statements };
}

/** A statement's first words, enough to read a list of them: `INSERT INTO cases`, `SELECT ... FOR UPDATE`. */
export function statementSummary(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  const lock = / FOR (UPDATE|SHARE|KEY SHARE|NO KEY UPDATE)( SKIP LOCKED)?/i.exec(flat)?.[0] ?? '';
  return `${flat.slice(0, 60)}${lock ? ` ...${lock}` : ''}`;
}

function install(): void {
  if (installed) return;
  installed = true;
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const sink = recording.getStore();
    if (sink) {
      const q = args[0] as string | { text?: string };
      sink.push(typeof q === 'string' ? q : (q?.text ?? String(q)));
    }
    return query.apply(this, args);
  } as typeof Client.prototype.query;
}
