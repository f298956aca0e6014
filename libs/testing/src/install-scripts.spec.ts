import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * npm 11 asks a project to decide, in package.json's `allowScripts`, which dependencies may run their
 * install scripts; one it has not been told about draws a warning on every `npm ci`, and the npm
 * versions to come skip it. argon2 needs its script: on this project's AMD EPYC CI machine (7 December
 * 2026) its prebuilt linux-x64 binary crashed the process (segmentation fault) on the first hash, and
 * the script, which tries the prebuilt binary and compiles the addon when it fails, is what makes
 * logins work there. swagger-ui's @scarf/scarf only reports the install to its vendor: denied.
 */
describe('install scripts of dependencies', () => {
  const root = path.resolve(__dirname, '../../..');
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { hasInstallScript?: boolean }>;
  };
  const withScripts = Object.entries(lock.packages)
    .filter(([key, p]) => key.startsWith('node_modules/') && p.hasInstallScript)
    .map(([key]) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));

  it('decides for every dependency that has one', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => typeof pkg.allowScripts?.[name] !== 'boolean')).toEqual([]);
  });

  it('lets argon2 build its addon and keeps the install telemetry off', () => {
    expect(pkg.allowScripts?.argon2).toBe(true);
    expect(pkg.allowScripts?.['@scarf/scarf']).toBe(false);
  });
});
