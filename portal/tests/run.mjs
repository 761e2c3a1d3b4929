// The portal's browser scenarios (issue 9), run by tests/api/test_portal.py:
//
//   node portal/tests/run.mjs SCENARIO
//
// Environment: DS_URL (the stack), DS_PORTAL_WORLD (a JSON file with the
// records and credentials the test made through the API), DS_ARTIFACTS
// (where a failed scenario leaves a screenshot of each open page),
// DS_DOWNLOADS (where downloads land). Prints "ok - SCENARIO" and the facts
// the test checks, or "not ok - SCENARIO: why"; exits 0 only on success.
// Every scenario also fails on a Content-Security-Policy violation or an
// uncaught script error in any page.

import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, DESKTOP } from './browser.mjs';

const BASE = (process.env.DS_URL || 'https://127.0.0.1:8443').replace(/\/$/, '');
const world = JSON.parse(readFileSync(process.env.DS_PORTAL_WORLD, 'utf8'));
const ARTIFACTS = process.env.DS_ARTIFACTS || 'portal-artifacts';
const DOWNLOADS = process.env.DS_DOWNLOADS;
const TIMEOUT = 20000;

function check(cond, message) {
  if (!cond) throw new Error(message);
}

// ------------------------------------------------------------ helpers

const problems = [];

async function newPage(context, label) {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.label = label;
  page.on('pageerror', e => problems.push(`${label}: script error: ${e.message}`));
  page.on('console', m => {
    const text = m.text();
    if (/Content Security Policy|Refused to (apply|execute|load)/i.test(text)) {
      problems.push(`${label}: CSP violation: ${text}`);
    }
  });
  return page;
}

// Waits until <main> shows the route in the address bar, fully rendered.
async function settled(page) {
  await page.waitForFunction(() => {
    const main = document.getElementById('main');
    return document.body.classList.contains('ready') && !main.hasAttribute('aria-busy')
      && main.dataset.route === (location.hash || '#/');
  });
}

// A full page load of the route (a new query string each time, so even
// the route already shown is loaded afresh; the tab keeps its session).
let loads = 0;
async function open(page, route) {
  loads += 1;
  await page.goto(`${BASE}/?load=${loads}#${route}`);
  await settled(page);
}

async function signIn(page, who) {
  await open(page, '/signin');
  await page.fill('input[name=client_id]', who.client_id);
  await page.fill('input[name=client_secret]', who.client_secret);
  await page.click('main form button[type=submit]');
  await routeMatch(page, /^#\/ws/);
  await page.waitForSelector('#signout');
}

// Waits for the route to change to one matching re; returns its match.
async function routeMatch(page, re) {
  await page.waitForURL(u => re.test(new URL(u).hash));
  await settled(page);
  return re.exec(new URL(page.url()).hash);
}

// The control a <label> names, whole text only (a required field's label
// ends with " *").
function byLabel(scope, text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return scope.getByLabel(new RegExp(`^${escaped}( \\*)?$`));
}

async function textOf(page, selector) {
  return (await page.textContent(selector)).trim();
}

// JSON with every object's keys sorted: equal for equal documents,
// whatever order a server wrote their keys in.
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

// ----------------------------------------------------------- scenarios

const scenarios = {
  // A citizen searches "dat dai", opens the "Đất đai ..." dataset,
  // downloads its open file, and the download count rises.
  async citizen(context) {
    const page = await newPage(context, 'citizen');
    await open(page, '/');
    await page.fill('#q', world.query);
    await page.press('#q', 'Enter');
    await routeMatch(page, /^#\/search\?/);
    // The dataset may be on a later page when other tests made many.
    for (let i = 0; i < 20; i += 1) {
      await page.waitForSelector('#results, .empty');
      if (await page.getByRole('link', { name: world.title, exact: true }).count()) break;
      const next = page.locator('a[rel=next]');
      check(await next.count(), `"${world.title}" is not among the results of "${world.query}"`);
      const was = page.url();
      await next.click();
      await page.waitForURL(u => u !== was);
      await settled(page);
    }
    await page.getByRole('link', { name: world.title, exact: true }).click();
    await routeMatch(page, new RegExp(`^#/datasets/${world.dataset_id}$`));
    check((await textOf(page, 'h1')) === world.title, 'the dataset page shows another title');
    check(/^Đất đai/.test(await textOf(page, 'h1')), 'the title does not start with Đất đai');
    const before = Number(await page.getAttribute('#downloads', 'data-value'));
    const link = page.locator('a.download').first();
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    check(download.suggestedFilename() === world.file_name,
      `downloaded ${download.suggestedFilename()}, not ${world.file_name}`);
    const saved = join(DOWNLOADS, world.file_name);
    await download.saveAs(saved);
    const head = readFileSync(saved, 'utf8').split(/\r?\n/)[0];
    check(head === world.file_head, `the file starts with ${JSON.stringify(head)}`);
    // The module's master writes the count within seal_interval_ms
    // (docs/catalog.md): reload until it shows, for up to ~3 s.
    let after = before;
    for (let i = 0; i < 15 && after !== before + 1; i += 1) {
      if (i > 0) await page.waitForTimeout(200);
      await page.reload();
      await settled(page);
      after = Number(await page.getAttribute('#downloads', 'data-value'));
    }
    check(after === before + 1, `downloads went from ${before} to ${after}`);
    console.log(`downloads ${before} -> ${after}`);
  },

  // Officer A files a request; officer B refuses it without a reason (the
  // form shows the error), then with one; A opens a dispute from the
  // refusal in one click; B sees it in its notifications and
  // acknowledges it.
  async refusal(context) {
    const a = await newPage(context, 'officer-A');
    const b = await newPage(context, 'officer-B');
    await signIn(a, world.consumer);
    await signIn(b, world.provider);

    await open(a, `/datasets/${world.dataset_id}`);
    await a.getByRole('link', { name: 'Gửi yêu cầu chia sẻ' }).click();
    await routeMatch(a, /^#\/ws\/requests\/new\?/);
    await byLabel(a, 'Mục đích khai thác').fill('Xác minh hộ tịch khi giải quyết thủ tục hành chính');
    await byLabel(a, 'Căn cứ pháp lý').fill('Nghị định 47/2020/NĐ-CP');
    await byLabel(a, 'Có thời hạn').check();
    await byLabel(a, 'Ngày kết thúc').fill(world.ends_on);
    await a.getByRole('button', { name: 'Gửi yêu cầu' }).click();
    const reqId = (await routeMatch(a, /^#\/ws\/requests\/(\d+)/))[1];
    check((await textOf(a, 'main .badge')) === 'Chờ xử lý', 'the new request is not shown as submitted');

    // B finds it among its notifications.
    await open(b, '/ws');
    await b.getByRole('link', { name: `Có yêu cầu chia sẻ dữ liệu mới (số ${reqId})` }).click();
    await routeMatch(b, new RegExp(`^#/ws/requests/${reqId}$`));
    const refuse = b.locator('form.refuse');
    await refuse.getByRole('button', { name: 'Từ chối' }).click();
    const err = refuse.locator('.field[data-field=reason] .field-error');
    await err.waitFor({ state: 'visible' });
    check((await err.textContent()).includes('Vui lòng nhập thông tin này'), `the reason's error says "${await err.textContent()}"`);
    check(await refuse.locator('textarea[name=reason]').getAttribute('aria-invalid') === 'true', 'the reason is not marked invalid');
    check(await refuse.locator('textarea[name=reason]').evaluate(el => el === document.activeElement), 'focus is not on the reason');
    check(await refuse.locator('.form-alert').isVisible(), 'no alert above the form');
    await byLabel(refuse, 'Lý do từ chối').fill(world.reason);
    await refuse.getByRole('button', { name: 'Từ chối' }).click();
    await b.waitForSelector('.notice.ok');
    check((await textOf(b, '#refusal-reason')) === world.reason, 'the refusal reason is not shown');

    // A: the refusal, and the dispute in one click.
    await open(a, `/ws/requests/${reqId}`);
    check((await textOf(a, '#refusal-reason')) === world.reason, 'A does not see the reason');
    await a.click('#file-dispute');
    const disputeId = (await routeMatch(a, /^#\/ws\/disputes\/(\d+)/))[1];
    check(await a.getAttribute('#dispute-state', 'data-state') === 'open', 'the new dispute is not open');

    // B: the notification, then acknowledged.
    await open(b, '/ws');
    await b.locator(`#notices a[href="#/ws/disputes/${disputeId}"]`).first().click();
    await routeMatch(b, new RegExp(`^#/ws/disputes/${disputeId}$`));
    const move = b.locator('form.transition');
    await byLabel(move, 'Tiếp nhận').check();
    await move.getByRole('button', { name: 'Cập nhật trạng thái' }).click();
    await b.waitForSelector('#dispute-state[data-state=acknowledged]');
    console.log(`request ${reqId} refused; dispute ${disputeId} acknowledged`);
  },

  // The provider approves a request with fewer fields than asked for; the
  // grant page shows what was granted.
  async approve(context) {
    const p = await newPage(context, 'provider');
    await signIn(p, world.provider);
    await open(p, `/ws/requests/${world.request_id}`);
    const form = p.locator('form.approve');
    await byLabel(form, world.drop_field).uncheck();
    await form.getByRole('button', { name: 'Chấp thuận' }).click();
    await routeMatch(p, new RegExp(`^#/ws/requests/${world.request_id}\\?done=approved`));
    await p.getByRole('link', { name: /^Quyền khai thác số \d+$/ }).click();
    const gid = (await routeMatch(p, /^#\/ws\/grants\/(\d+)$/))[1];
    const shown = await p.textContent('main dl');
    check(!shown.includes(world.drop_field), `the grant still lists ${world.drop_field}`);
    console.log(`grant ${gid} made`);
  },

  // A provider suspends a grant; the consumer sees the suspension with
  // its terms.
  async suspension(context) {
    const p = await newPage(context, 'provider');
    const c = await newPage(context, 'consumer');
    await signIn(p, world.provider);
    await open(p, `/ws/grants/${world.grant_id}`);
    const form = p.locator('form.suspend');
    await byLabel(form, 'Vi phạm').fill(world.violation);
    await byLabel(form, 'Căn cứ').selectOption({ index: 1 });
    const ground = (await form.locator('select[name=legal_ground] option:checked').textContent()).trim();
    await byLabel(form, 'Phương án xử lý').fill(world.handling_plan);
    await byLabel(form, 'Việc cơ quan khai thác phải làm').fill(world.consumer_action);
    await form.getByRole('button', { name: 'Tạm dừng kết nối' }).click();
    const sid = (await routeMatch(p, /^#\/ws\/suspensions\/(\d+)/))[1];

    await signIn(c, world.consumer);
    await c.getByRole('link', { name: `Thông báo tạm dừng kết nối (số ${sid})` }).waitFor();
    await open(c, '/ws/suspensions');
    await c.getByRole('link', { name: `Tạm dừng kết nối số ${sid}` }).click();
    await routeMatch(c, new RegExp(`^#/ws/suspensions/${sid}$`));
    check((await textOf(c, '#violation')) === world.violation, 'the violation differs');
    check((await textOf(c, '#consumer-action')) === world.consumer_action, 'what the consumer must do differs');
    check((await c.textContent('main')).includes(world.handling_plan), 'the handling plan is missing');
    check((await c.textContent('main')).includes(ground), `the legal ground "${ground}" is missing`);
    check((await c.textContent('main .meta')).includes('Tạm dừng'), 'the grant is not shown as suspended');
    check(await c.locator('#file-dispute').isVisible(), 'the consumer has no dispute button');
    console.log(`suspension ${sid} seen by the consumer`);
  },

  // A wrong secret is said next to the form (the token endpoint's Basic
  // challenge must not open the browser's own login dialog); a right one
  // signs in; signing out forgets the token.
  async signout(context) {
    const page = await newPage(context, 'officer');
    await open(page, '/signin');
    await page.fill('input[name=client_id]', world.officer.client_id);
    await page.fill('input[name=client_secret]', `${world.officer.client_secret}x`);
    await page.click('main form button[type=submit]');
    const alert = page.locator('main .form-alert');
    await alert.waitFor({ state: 'visible', timeout: 10000 });
    check((await alert.textContent()).includes('Mã tài khoản hoặc mật khẩu không đúng'), `the alert says "${await alert.textContent()}"`);
    await signIn(page, world.officer);
    check(await page.evaluate(() => !!sessionStorage.getItem('ds.session')), 'no session kept');
    check(await page.evaluate(() => document.cookie === ''), 'a cookie was set');
    await page.click('#signout');
    await routeMatch(page, /^#\/$/);
    check(await page.evaluate(() => sessionStorage.length === 0), 'the session is still stored after signing out');
    await open(page, '/ws');
    await routeMatch(page, /^#\/signin/);
    console.log('signed out');
  },

  // Keyboard alone: Tab reaches the search box; after searching, Tab
  // reaches the first result, and Enter opens it.
  async keyboard(context) {
    const page = await newPage(context, 'keyboard');
    await open(page, '/');
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.id) === 'skip-link', 'the first Tab stop is not the skip link');
    let tabs = 1;
    while (await page.evaluate(() => document.activeElement.id) !== 'q') {
      check(tabs < 30, 'Tab never reached the search box');
      await page.keyboard.press('Tab');
      tabs += 1;
    }
    await page.keyboard.type(world.query);
    await page.keyboard.press('Enter');
    await routeMatch(page, /^#\/search\?/);
    await page.waitForSelector('#results');
    const first = await page.evaluate(() => document.querySelector('#results li a').getAttribute('href'));
    let more = 0;
    while (await page.evaluate(() => document.activeElement.getAttribute('href')) !== first) {
      check(more < 120, 'Tab never reached the first result');
      await page.keyboard.press('Tab');
      more += 1;
    }
    // A visible focus indicator on the focused link.
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    check(outline !== 'none', 'the focused result has no visible outline');
    await page.keyboard.press('Enter');
    await routeMatch(page, new RegExp(`^#/datasets/${world.dataset_id}$`));
    check(await page.evaluate(() => document.activeElement.tagName) === 'H1', 'focus did not move to the new page');
    console.log(`keyboard: ${tabs} tabs to the search box, ${more} to the first result`);
  },

  // A consumer's officer goes from a dataset to its service's connection
  // page: the call URL the API gives, the curl example, the headers and
  // the assertion, the error codes, the limits and the OpenAPI operations;
  // the document downloads with the keyboard.
  async connection(context) {
    const page = await newPage(context, 'consumer');
    await signIn(page, world.consumer);
    await open(page, `/datasets/${world.dataset_id}`);
    await page.getByRole('link', { name: world.name, exact: true }).click();
    await routeMatch(page, new RegExp(`^#/services/${world.service_id}$`));
    check((await textOf(page, 'h1')) === `Kết nối dịch vụ: ${world.name}`, 'the page has another heading');
    check(!(await page.locator('#not-callable').count()) && await page.locator('#gateway-url').count(),
      'the page shows no call URL: GET /services/{id} sent no gateway_url');
    const url = await textOf(page, '#gateway-url');
    check(url === world.gateway_url, `the call URL is ${url}, not ${world.gateway_url}`);

    const curl = await textOf(page, '#curl-example');
    for (const part of [`'${BASE}/api/v1/auth/token'`, 'grant_type=client_credentials',
      '-u "$CLIENT_ID:$CLIENT_SECRET"', '-H "Authorization: Bearer $TOKEN"',
      `'${world.gateway_url}${world.example_path}'`]) {
      check(curl.includes(part), `the curl example lacks ${part}`);
    }

    const cells = sel => page.locator(`${sel} tbody tr`).evaluateAll(trs =>
      trs.map(tr => [...tr.children].map(c => c.textContent.trim())));
    const errors = await cells('#error-codes');
    check(errors.length === world.error_codes.length, `the error table has ${errors.length} rows`);
    check(JSON.stringify(errors.map(r => [Number(r[0]), r[1]])) === JSON.stringify(world.error_codes),
      'the error table differs from the contract\'s codes');
    const suspended = errors.find(r => r[1] === 'grant_suspended');
    check(suspended[2] === 'Quyền khai thác đang bị tạm dừng.', `grant_suspended means "${suspended[2]}"`);

    const main = await page.textContent('main');
    for (const text of ['X-Datashare-Consumer', 'X-Datashare-Grant', 'X-Datashare-Request-Id',
      'X-Datashare-Assertion', 'X-Request-Id', 'X-Request-Hash', 'RS256', `${BASE}/api/v1/auth/keys`]) {
      check(main.includes(text), `the page does not name ${text}`);
    }
    const claims = (await cells('#assertion-claims')).map(r => r[0]);
    check(claims.join(' ') === 'iss sub aud grant service request_id iat exp', `the claims are ${claims.join(' ')}`);
    check((await textOf(page, '#claim-aud')) === world.audience, 'the assertion\'s audience differs');
    const limits = await textOf(page, '#limits');
    for (const text of world.limits) check(limits.includes(text), `the limits lack "${text}"`);

    // The operations, the summary with markup shown as the characters it is.
    const ops = await cells('#openapi-operations');
    check(JSON.stringify(ops) === JSON.stringify(world.operations), `the operations are ${JSON.stringify(ops)}`);
    await page.focus('#openapi-download');
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    check(download.suggestedFilename() === `${world.code}-openapi.json`,
      `downloaded ${download.suggestedFilename()}`);
    const saved = join(DOWNLOADS, download.suggestedFilename());
    await download.saveAs(saved);
    const doc = JSON.parse(readFileSync(saved, 'utf8'));
    check(canonical(doc) === canonical(world.openapi), 'the downloaded document differs');
    console.log(`service ${world.service_id}: ${url}`);
  },

  // Anyone opens, from an open dataset, the page of a service its provider
  // has not made callable: it says so, in both languages, and shows no
  // call URL, example or error codes.
  async not_callable(context) {
    const page = await newPage(context, 'visitor');
    await open(page, `/datasets/${world.dataset_id}`);
    await page.getByRole('link', { name: world.name, exact: true }).click();
    await routeMatch(page, new RegExp(`^#/services/${world.service_id}$`));
    const notice = await textOf(page, '#not-callable');
    check(notice.includes('chưa gọi được qua cổng kết nối'), `the notice says "${notice}"`);
    for (const sel of ['#gateway-url', '#curl-example', '#error-codes']) {
      check(!(await page.locator(sel).count()), `${sel} is shown for a service not callable`);
    }
    await page.click('.btn.lang');
    await page.locator('#not-callable', { hasText: 'cannot be called through the gateway' }).waitFor();
    console.log(`service ${world.service_id}: not callable`);
  },
};

// ---------------------------------------------------------------- main

async function keepScreenshots(context, name) {
  const dir = join(ARTIFACTS, name);
  mkdirSync(dir, { recursive: true });
  const lines = [];
  for (const [i, page] of context.pages().filter(p => p.url() !== 'about:blank').entries()) {
    const file = join(dir, `${i + 1}-${page.label || 'page'}.png`);
    try {
      await page.screenshot({ path: file, fullPage: true });
      lines.push(`${file} ${page.url()}`);
    } catch (e) {
      lines.push(`${file}: no screenshot (${e.message})`);
    }
  }
  writeFileSync(join(dir, 'pages.txt'), `${lines.join('\n')}\n`);
  return dir;
}

const name = process.argv[2];
if (!scenarios[name]) {
  console.log(`not ok - ${name}: no such scenario (${Object.keys(scenarios).join(', ')})`);
  process.exit(2);
}
const browser = await launch({ viewport: DESKTOP, downloads: DOWNLOADS });
let failed = false;
try {
  await scenarios[name](browser.context);
  check(!problems.length, problems.join('; '));
  console.log(`ok - ${name}`);
} catch (e) {
  failed = true;
  const dir = await keepScreenshots(browser.context, name);
  console.log(`not ok - ${name}: ${e.message.split('\n')[0]}`);
  console.log(`screenshots: ${dir}`);
  if (problems.length) console.log(`page problems: ${problems.join('; ')}`);
  console.error(e.stack);
} finally {
  await browser.close();
}
console.log(`portal: ${failed ? 0 : 1} passed, ${failed ? 1 : 0} failed`);
process.exit(failed ? 1 : 0);
