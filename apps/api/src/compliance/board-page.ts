import type { BoardEntry, BoardReport } from '@fr/board';
import { BoardStatus, TargetKind, VIETNAM_UTC_OFFSET_MS } from '@fr/domain';

/**
 * The board as a page (GET /board): a shell with a log-in form, and the board itself as server-rendered
 * HTML that the shell fetches with the officer's bearer token (GET /board/view). No cookie, so no
 * cross-site request can act with the officer's rights; no inline script, so the policy below forbids
 * every script but ours, and nothing rendered from data can run.
 */
export const PAGE_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const STATUS_WORDS: Record<BoardStatus, string> = { on_track: 'Đúng tiến độ', at_risk: 'Có nguy cơ', late: 'Trễ hạn' };
const KIND_WORDS: Record<TargetKind, string> = {
  designation: 'Cử đầu mối (lãnh đạo, công chức)',
  staff_onboarding: 'Cán bộ có tài khoản iHaNoi',
  ward_adoption: 'Người dân trưởng thành có tài khoản',
  notice_cadence: 'Đăng tin truyền thông, cảnh báo',
};
const UNIT_KIND_WORDS: Record<string, string> = { office: 'Văn phòng', department: 'Phòng, ban', ward: 'Phường', police: 'Công an' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** 'DD/MM/YYYY' of a 'YYYY-MM-DD' day, as Vietnamese readers write dates. */
function day(d: string | null): string {
  return d ? `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}` : '—';
}

function localTime(iso: string): string {
  const t = new Date(new Date(iso).getTime() + VIETNAM_UTC_OFFSET_MS).toISOString();
  return `${t.slice(11, 16)} ${day(t.slice(0, 10))}`;
}

function valueText(e: BoardEntry): string {
  if (e.value === null) return 'chưa báo cáo';
  switch (e.kind) {
    case 'designation':
      return `${e.value}/2 đầu mối`;
    case 'notice_cadence':
      return `${e.value} ngày từ tin gần nhất (tối đa ${e.target})`;
    default:
      return `${e.value.toLocaleString('vi-VN')}% / ${e.target}%`;
  }
}

/** How far along a unit is, 0..1, for its bar: a share of the goal, or of the cadence's days left. */
function progress(e: BoardEntry): number {
  if (e.value === null) return 0;
  if (e.kind === 'notice_cadence') return Math.max(0, Math.min(1, 1 - e.value / (e.target + 1)));
  return Math.max(0, Math.min(1, e.value / e.target));
}

const FILL: Record<BoardStatus, string> = { on_track: '#2e7d32', at_risk: '#f9a825', late: '#c62828' };

/** One target's bar chart: a bar per unit, as long as its progress, coloured by its status. */
function chart(report: BoardReport, targetId: string, title: string): string {
  const rows = report.units.flatMap((u) => u.targets.filter((e) => e.targetId === targetId).map((e) => ({ u, e })));
  const rowH = 18;
  const labelW = 210;
  const barW = 360;
  const height = rows.length * rowH + 24;
  const bars = rows
    .map(({ u, e }, i) => {
      const y = i * rowH + 4;
      // A late unit with nothing to show still gets a sliver of red, so the chart shows who is late.
      const w = Math.max(e.status === 'late' ? 4 : 0, Math.round(progress(e) * barW));
      return (
        `<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" font-size="11">${escapeHtml(u.unitName)}</text>` +
        `<rect x="${labelW}" y="${y + 2}" width="${barW}" height="${rowH - 6}" fill="#eceff1"/>` +
        `<rect x="${labelW}" y="${y + 2}" width="${w}" height="${rowH - 6}" fill="${FILL[e.status]}"><title>${escapeHtml(`${u.unitName}: ${valueText(e)} — ${STATUS_WORDS[e.status]}`)}</title></rect>` +
        `<text x="${labelW + barW + 6}" y="${y + 12}" font-size="11">${escapeHtml(e.value === null ? '—' : String(e.value))}</text>`
      );
    })
    .join('');
  return (
    `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>` +
    `<svg role="img" aria-label="${escapeHtml(title)}" width="${labelW + barW + 50}" height="${height}" viewBox="0 0 ${labelW + barW + 50} ${height}">${bars}</svg></figure>`
  );
}

/** The board: a summary per target, a table unit by target, and a bar chart per target. */
export function renderBoardView(report: BoardReport): string {
  if (report.targets.length === 0) {
    return `<p class="empty">Chưa có chỉ tiêu nào đang theo dõi. Quản trị viên bật chỉ tiêu tại /v1/compliance/targets.</p>`;
  }
  const head = report.targets
    .map(
      (t) => `<th scope="col">${escapeHtml(t.name)}<br><small>${escapeHtml(KIND_WORDS[t.kind])}${t.dueAt ? ` · hạn ${day(dueDay(t.dueAt))}` : ''}</small></th>`,
    )
    .join('');
  const summary = report.targets
    .map(
      (t) =>
        `<li><strong>${escapeHtml(t.name)}</strong>: ` +
        (['on_track', 'at_risk', 'late'] as const).map((s) => `<span class="status ${s}">${STATUS_WORDS[s]} ${t.summary[s]}</span>`).join(' ') +
        `</li>`,
    )
    .join('');
  const body = report.units
    .map((u) => {
      const cells = report.targets
        .map((t) => {
          const e = u.targets.find((x) => x.targetId === t.id);
          if (!e) return `<td class="na">—</td>`;
          const gaps = e.gaps?.length ? `<br><small>${e.gaps.length} lần gián đoạn, ${e.gaps.reduce((n, g) => n + g.days, 0)} ngày</small>` : '';
          return (
            `<td class="status ${e.status}" data-target="${escapeHtml(t.id)}" data-status="${e.status}">` +
            `<span class="label">${STATUS_WORDS[e.status]}</span><br>${escapeHtml(valueText(e))}<br><small>hạn ${day(e.dueDate)}</small>${gaps}</td>`
          );
        })
        .join('');
      return `<tr data-unit="${escapeHtml(u.unitCode)}"><th scope="row">${escapeHtml(u.unitName)}<br><small>${escapeHtml(UNIT_KIND_WORDS[u.kind] ?? u.kind)}</small></th>${cells}</tr>`;
    })
    .join('');
  const charts = report.targets.map((t) => chart(report, t.id, t.name)).join('');
  return (
    `<p class="at">Đánh giá lúc ${localTime(report.at)}</p>` +
    `<ul class="summary">${summary}</ul>` +
    `<table id="board-table"><thead><tr><th scope="col">Đơn vị</th>${head}</tr></thead><tbody>${body}</tbody></table>` +
    `<section class="charts"><h2>Biểu đồ theo chỉ tiêu</h2>${charts}</section>`
  );
}

function dueDay(dueAtIso: string): string {
  return new Date(new Date(dueAtIso).getTime() - 1 + VIETNAM_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

export const BOARD_SHELL = `<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bảng theo dõi chỉ tiêu - Phòng Nội vụ</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/board/board.css">
<script src="/board/board.js" defer></script>
</head>
<body>
<header><h1>Bảng theo dõi thực hiện chỉ tiêu</h1><p>Cử đầu mối, tài khoản iHaNoi của cán bộ và người dân, đăng tin truyền thông, cảnh báo</p></header>
<main>
<form id="login" autocomplete="on">
<h2>Đăng nhập</h2>
<label>Tên đăng nhập <input name="username" id="username" required autocomplete="username"></label>
<label>Mật khẩu <input name="password" id="password" type="password" required autocomplete="current-password"></label>
<button type="submit">Đăng nhập</button>
<p id="error" role="alert" hidden></p>
</form>
<section id="board" hidden>
<p class="tools"><button type="button" id="refresh">Tải lại</button> <button type="button" id="logout">Đăng xuất</button></p>
<div id="view" aria-live="polite"></div>
</section>
</main>
</body>
</html>
`;

/** The shell's script: log in over the JSON API, keep the token for the tab, fetch the rendered board with it. */
export const BOARD_SCRIPT = `'use strict';
(function () {
  var KEY = 'fr.board.token';
  var form = document.getElementById('login');
  var error = document.getElementById('error');
  var board = document.getElementById('board');
  var view = document.getElementById('view');
  function show(message) { error.textContent = message; error.hidden = false; }
  function signedOut(message) {
    sessionStorage.removeItem(KEY);
    board.hidden = true; form.hidden = false;
    if (message) show(message);
  }
  function load() {
    var token = sessionStorage.getItem(KEY);
    if (!token) return signedOut();
    return fetch('/board/view' + location.search, { headers: { Authorization: 'Bearer ' + token } }).then(function (res) {
      if (res.status === 401) return signedOut('Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.');
      if (res.status === 403) return signedOut('Tài khoản này không có quyền xem bảng theo dõi (dành cho Phòng Nội vụ và Văn phòng).');
      if (!res.ok) return show('Không tải được bảng theo dõi (' + res.status + ').');
      return res.text().then(function (html) {
        view.innerHTML = html;
        form.hidden = true; error.hidden = true; board.hidden = false;
      });
    }, function () { show('Không kết nối được máy chủ.'); });
  }
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    error.hidden = true;
    var body = JSON.stringify({ username: document.getElementById('username').value, password: document.getElementById('password').value });
    fetch('/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body }).then(function (res) {
      if (res.status === 429) return show('Đăng nhập sai quá nhiều lần, vui lòng thử lại sau.');
      if (!res.ok) return show('Tên đăng nhập hoặc mật khẩu không đúng.');
      return res.json().then(function (r) { sessionStorage.setItem(KEY, r.accessToken); document.getElementById('password').value = ''; return load(); });
    }, function () { show('Không kết nối được máy chủ.'); });
  });
  document.getElementById('refresh').addEventListener('click', load);
  document.getElementById('logout').addEventListener('click', function () { signedOut(); });
  if (sessionStorage.getItem(KEY)) load();
})();
`;

export const BOARD_STYLE = `[hidden]{display:none!important}
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
header{background:#b71c1c;color:#fff;padding:12px 24px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;font-size:13px}
main{padding:16px 24px}form{max-width:320px;display:flex;flex-direction:column;gap:10px;background:#fff;padding:16px;border:1px solid #ddd}
label{display:flex;flex-direction:column;font-size:14px;gap:4px}input{padding:6px;font-size:14px}button{padding:6px 12px;font-size:14px;cursor:pointer}
#error{color:#b71c1c;margin:0}table{border-collapse:collapse;background:#fff;font-size:13px}th,td{border:1px solid #ccc;padding:6px 8px;vertical-align:top;text-align:left}
thead th{background:#eceff1}td.on_track{background:#e8f5e9}td.at_risk{background:#fff8e1}td.late{background:#ffebee}td .label{font-weight:bold}
td.on_track .label{color:#2e7d32}td.at_risk .label{color:#8d6e00}td.late .label{color:#c62828}td.na{color:#999;text-align:center}
.summary{padding-left:18px;font-size:14px}.summary .status{margin-right:8px;padding:1px 6px;border-radius:3px}
.summary .on_track{background:#e8f5e9}.summary .at_risk{background:#fff8e1}.summary .late{background:#ffebee}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts h2{width:100%;font-size:18px}figure.chart{margin:0;background:#fff;border:1px solid #ddd;padding:8px}
figcaption{font-weight:bold;font-size:14px;margin-bottom:4px}small{color:#555}.at{font-size:13px;color:#555}
`;
