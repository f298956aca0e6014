import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { parse } from 'yaml';
import { AppConfig, ConfigError } from '@fr/config';
import { parsePlan, ReorganisationPlan } from '@fr/domain';
import { DatabaseSeed, selectRows } from '@fr/persistence';
import { applyReorganisation, scheduleReorganisation } from './reorganisations.usecase';
import { dryRunPlan } from './reorganisation-store';

export const REORGANISATIONS_DIR = 'reorganisations';

/**
 * The plans of config/reorganisations/*.yaml, by effective date; a broken file stops the start with every
 * problem. The files of `loaded` (plans loaded at an earlier start) are not read: their plans are in the
 * database, and a rule of a later version (a pattern the backtracking guard now refuses) must not stop
 * the start of an upgrade over a file an earlier version took.
 */
export function loadReorganisationFiles(configDir: string, loaded: ReadonlySet<string> = new Set()): { file: string; plan: ReorganisationPlan }[] {
  const dir = join(configDir, REORGANISATIONS_DIR);
  if (!existsSync(dir)) return [];
  const problems: string[] = [];
  const plans: { file: string; plan: ReorganisationPlan }[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !loaded.has(f))
    .sort()) {
    try {
      const r = parsePlan(parse(readFileSync(join(dir, file), 'utf8')));
      if (r.plan) plans.push({ file, plan: r.plan });
      else problems.push(...r.problems.map((p) => `${REORGANISATIONS_DIR}/${file}: ${p}`));
    } catch (e) {
      problems.push(`${REORGANISATIONS_DIR}/${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return plans.sort((a, b) => Date.parse(a.plan.effectiveAt) - Date.parse(b.plan.effectiveAt));
}

/** config/reorganisations/ as a seed of migrateDatabase, after the organisation (loadReorganisationFiles). */
export function reorganisationsSeed(config: AppConfig, now: () => Date = () => new Date()): DatabaseSeed {
  return async (ds) => {
    if (!config.loadReorganisations) return 0;
    return loadShippedReorganisations(ds, config.configDir, now);
  };
}

/**
 * Each file's plan, once (its file name is its key): scheduled, and applied at once when its date has
 * passed, so a new deployment shows today's organisation with its history. A plan that does not fit
 * the organisation in the database (an edited one) is left out with a warning rather than stopping
 * the start. Returns how many were loaded. The clock is read for each plan, once it is recorded: read
 * once before the first, it dated the last plan's application before the row that records it (created).
 */
export async function loadShippedReorganisations(ds: Parameters<DatabaseSeed>[0], configDir: string, now: () => Date): Promise<number> {
  const logger = new Logger('Reorganisations');
  let loaded = 0;
  const before = new Set((await selectRows<{ source: string }>(ds, `SELECT source FROM reorganisations WHERE source IS NOT NULL`)).map((r) => r.source));
  for (const { file, plan } of loadReorganisationFiles(configDir, before)) {
    const report = await dryRunPlan(ds, plan);
    if (report.unresolved.length) {
      logger.warn(`${REORGANISATIONS_DIR}/${file} not loaded: ${report.unresolved.join('; ')}`);
      continue;
    }
    const { id } = await scheduleReorganisation(ds, plan, { actor: 'system:config', source: file, now: now() });
    const applyAt = now();
    if (Date.parse(plan.effectiveAt) <= applyAt.getTime()) await applyReorganisation(ds, id, applyAt, logger);
    loaded++;
  }
  return loaded;
}
