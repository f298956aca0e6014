import { existsSync, mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { adminToken, bearer, createOfficer, DEFAULT_TEST_PASSWORD, ManualClock, TestEngine } from '@fr/testing';

/** Debian's Chromium (`apt-get install -y chromium`), or another build named by FR_CHROMIUM_PATH. */
const CHROMIUM = process.env.FR_CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the test leaves its screenshot (var/ is ignored by git). */
const OUTPUT_DIR = process.env.FR_TEST_OUTPUT_DIR ?? join(__dirname, '..', 'var', 'test-output');
const present = existsSync(CHROMIUM);
if (!present) {
  console.warn(`board page browser test SKIPPED: no Chromium at ${CHROMIUM} (install it with 'apt-get install -y chromium', or set FR_CHROMIUM_PATH)`);
}

const vn = (local: string) => new Date(`${local}+07:00`);

(present ? describe : describe.skip)('the board page in a real browser (headless Chromium)', () => {
  const clock = new ManualClock(vn('2026-07-20T10:00:00'));
  let engine: TestEngine;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    engine = await TestEngine.start({ clock });
    const admin = await adminToken(engine);
    const as = (token: string) => bearer(token);
    await createOfficer(engine, admin, { username: 'nv.kiemtra', role: 'AUDITOR', unitCode: 'NOI_VU' });
    const leader = await createOfficer(engine, admin, { username: 'bk.lanhdao', role: 'LEADER', unitCode: 'P_BACH_KHOA' });
    await engine
      .http()
      .post('/v1/compliance/targets')
      .set(as(admin))
      .send({
        id: 'onboarding-2026',
        kind: 'staff_onboarding',
        name: '100% cán bộ có tài khoản iHaNoi',
        dueAt: '2026-07-25',
        unitCodes: ['P_BACH_KHOA', 'P_THANH_NHAN'],
      })
      .expect(201);
    await engine
      .http()
      .post('/v1/compliance/targets')
      .set(as(admin))
      .send({
        id: 'notices-3d',
        kind: 'notice_cadence',
        name: 'Đăng tin ít nhất 3 ngày một lần',
        startsAt: '2026-07-01',
        everyDays: 3,
        unitCodes: ['P_BACH_KHOA', 'P_THANH_NHAN'],
      })
      .expect(201);
    await engine.http().put('/v1/units/P_BACH_KHOA/headcount').set(as(leader.token)).send({ staff: 100, withAccount: 97, asOf: '2026-07-20' }).expect(200);
    await engine.http().put('/v1/units/P_THANH_NHAN/headcount').set(as(admin)).send({ staff: 80, withAccount: 80, asOf: '2026-07-18' }).expect(200);
    await engine
      .http()
      .post('/v1/notices')
      .set(as(leader.token))
      .send({ title: 'Lịch tiêm chủng', body: 'Trạm y tế phường tiêm chủng sáng thứ Bảy.', kind: 'information' })
      .expect(201);

    const server = (await engine.api.listen(0, '127.0.0.1')) as Server;
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    mkdirSync(OUTPUT_DIR, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await engine?.close();
  });

  it('logs Home Affairs in, shows the table with each unit’s status and a bar chart per target, and saves a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
    const problems: string[] = [];
    // Script errors and refused content (a CSP violation says "Refused to ..."); the failed log-in's 401 is expected.
    page.on('console', (m) => m.type() === 'error' && !/Failed to load resource.*401/.test(m.text()) && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));

    const res = await page.goto(`${base}/board`);
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect(page.title()).resolves.toBe('Bảng theo dõi chỉ tiêu - Phòng Nội vụ');

    // A wrong password is told, in Vietnamese.
    await page.fill('#username', 'nv.kiemtra');
    await page.fill('#password', 'sai-mat-khau');
    await page.click('button[type=submit]');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toBe('Tên đăng nhập hoặc mật khẩu không đúng.');

    await page.fill('#password', DEFAULT_TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#board-table', { state: 'visible' });
    expect(await page.isHidden('#login')).toBe(true);

    const cell = (unit: string, target: string) => page.textContent(`tr[data-unit="${unit}"] td[data-target="${target}"]`);
    expect(await cell('P_BACH_KHOA', 'onboarding-2026')).toContain('Có nguy cơ');
    expect(await cell('P_BACH_KHOA', 'onboarding-2026')).toContain('97% / 100%');
    expect(await cell('P_BACH_KHOA', 'onboarding-2026')).toContain('hạn 25/07/2026');
    expect(await cell('P_THANH_NHAN', 'onboarding-2026')).toContain('Đúng tiến độ');
    expect(await cell('P_BACH_KHOA', 'notices-3d')).toContain('Đúng tiến độ');
    // Thanh Nhàn has published nothing since the cadence began on 1/7: late since 5/7.
    expect(await cell('P_THANH_NHAN', 'notices-3d')).toContain('Trễ hạn');
    expect(await page.locator('#board-table tbody tr').count()).toBe(2);
    expect(await page.locator('figure.chart svg').count()).toBe(2);
    expect(await page.locator('figure.chart svg rect[fill="#c62828"]').count()).toBeGreaterThanOrEqual(1);

    const file = join(OUTPUT_DIR, 'board-page.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('tells an officer without the right that the board is for Home Affairs and the office', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/board`);
    await page.fill('#username', 'bk.lanhdao');
    await page.fill('#password', DEFAULT_TEST_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toContain('không có quyền xem bảng theo dõi');
    expect(await page.isHidden('#board')).toBe(true);
    await page.close();
  });
});
