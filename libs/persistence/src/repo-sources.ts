import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The repository's root, for the specs that read the engine's own source. */
export const REPO_ROOT = join(__dirname, '../../..');

/** The TypeScript sources under `dir` (relative to the root), specs and node_modules left out. */
export function repoSources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : repoSources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}
