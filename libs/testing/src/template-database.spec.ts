import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { templateKey } from './template-database';

describe('the key of a test database template', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'fr_tpl_key_'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const key = (configDir: string) => templateKey({ adminPassword: 'admin', production: false, privacyKey: 'k'.repeat(32), configDir });

  it("changes with a config file's content, whether the file is there or linked to", () => {
    // Two organisations, each config/ copied, its organisation.yaml replaced by a link to a file of its own.
    const [a, b] = [dir(), dir()].map((d) => {
      const configDir = join(d, 'config');
      cpSync(join(__dirname, '..', '..', '..', 'config'), configDir, { recursive: true });
      rmSync(join(configDir, 'organisation.yaml'));
      return { d, configDir };
    });
    writeFileSync(join(a.d, 'organisation.yaml'), 'district: Hai Bà Trưng\n');
    writeFileSync(join(b.d, 'organisation.yaml'), 'district: Hoàn Kiếm\n');
    symlinkSync(join(a.d, 'organisation.yaml'), join(a.configDir, 'organisation.yaml'));
    symlinkSync(join(b.d, 'organisation.yaml'), join(b.configDir, 'organisation.yaml'));
    expect(key(a.configDir)).not.toBe(key(b.configDir));
  });
});
