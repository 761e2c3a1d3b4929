// A service's connection page, as provincial LGSPs publish them (issue 18,
// /work/gw-contract.md): how a consumer's system calls the service through
// the gateway, what the provider receives and how it checks who calls,
// the headers and error codes of every answer, the service's limits and
// its OpenAPI document.
//
// Everything here comes from GET /services/{id}; the page derives no
// address of its own: without `gateway_url` (no code or no upstream yet,
// or a server without the gateway fields) the service is shown as not
// callable through the gateway. Fields the server leaves out are left out.

import { h, link, facts, table, saveBlob } from '../dom.js';
import { t, label } from '../i18n.js';
import { get, apiUrl, ApiError } from '../api.js';
import { session } from '../session.js';
import { announce } from '../live.js';
import * as fmt from '../format.js';
import { page, section, badge, route, emptyText } from './common.js';

// The gateway's own refusals and failures, in the order it checks them
// (contract: "The call"); their meanings are the texts gwerror.<code>.
const ERRORS = [
  [404, 'no_such_service'], [401, 'unauthorized'], [403, 'no_grant'],
  [403, 'grant_suspended'], [403, 'grant_terminated'], [403, 'grant_expired'],
  [503, 'service_suspended'], [403, 'undeclared_operation'],
  [429, 'rate_limited'], [429, 'quota_exceeded'], [413, 'payload_too_large'],
  [502, 'upstream_refused_address'], [502, 'upstream_unreachable'],
  [502, 'upstream_redirect'], [502, 'bad_upstream_response'],
  [502, 'cannot_narrow'], [504, 'upstream_timeout'], [503, 'database_unavailable'],
];

// The methods the gateway forwards (HEAD is GET without a body).
const GATEWAY_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const OPENAPI_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'];

// An address on this portal's origin, whole (for text to copy elsewhere).
function absolute(path) {
  return new URL(path, location.href).href;
}

// s as one shell word: single quotes, a quote inside closed and escaped.
function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

function textOf(v) {
  return typeof v === 'string' ? v : '';
}

// Whether the server sent the field at all (null counts as sent: for the
// rate limit and the quota, null means "none").
function sent(s, key) {
  return Object.prototype.hasOwnProperty.call(s, key) && s[key] !== undefined;
}

// The service's OpenAPI document as an object: the server sends an object;
// text is read as JSON. null when there is none, false when unreadable.
function openapiDoc(s) {
  const v = s.openapi;
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'object' && !Array.isArray(v)) return v;
  if (typeof v === 'string') {
    try {
      const o = JSON.parse(v);
      if (o && typeof o === 'object' && !Array.isArray(o)) return o;
    } catch (e) { /* falls through: unreadable */ }
  }
  return false;
}

// [{method, path, summary}] of an OpenAPI document's paths, in its order.
function operations(doc) {
  const out = [];
  const paths = doc && doc.paths && typeof doc.paths === 'object' ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!item || typeof item !== 'object') continue;
    for (const m of OPENAPI_METHODS) {
      const op = item[m];
      if (!op || typeof op !== 'object') continue;
      out.push({ method: m.toUpperCase(), path,
        summary: textOf(op.summary) || textOf(op.operationId) });
    }
  }
  return out;
}

// The operation the curl example calls: a GET without path parameters if
// there is one, else any GET, else the first declared.
function exampleOperation(ops) {
  return ops.find(o => o.method === 'GET' && !o.path.includes('{'))
    || ops.find(o => o.method === 'GET') || ops[0] || null;
}

// "<provider code>/<service code>", the assertion's aud, as the server's
// own gateway_url names them (/gw/<agency code>/<code>/); null otherwise.
function audience(gatewayUrl) {
  try {
    const m = /^\/gw\/([^/]+)\/([^/]+)\/$/.exec(new URL(gatewayUrl).pathname);
    return m ? `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}` : null;
  } catch (e) {
    return null;
  }
}

// A block of text to copy: <pre><code> that keyboard users can scroll,
// with a button that copies it.
function codeBlock(id, text, name) {
  const pre = h('pre', { class: 'code-block', id, tabindex: '0', role: 'region', 'aria-label': name },
    h('code', null, text));
  return h('div', { class: 'code-wrap' }, pre, copyButton(text, name, pre));
}

function copyButton(text, name, target) {
  const b = h('button', { type: 'button', class: 'btn small copy',
    'aria-label': t('connect.copy_named', { name }) }, t('connect.copy'));
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      announce(t('connect.copied'));
    } catch (e) {
      // No clipboard (an insecure context, a refused permission): select
      // the text so that Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(target);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      target.focus();
      announce(t('connect.copy_failed'));
    }
  });
  return b;
}

// --------------------------------------------------------------- parts

function aboutSection(s) {
  return section(t('connect.about'), facts([
    [t('service.name'), s.name],
    [t('service.dataset'), link(`/datasets/${s.dataset_id}`, s.dataset_title || t('dataset.numbered', { id: s.dataset_id }))],
    [t('service.provider'), s.agency_name],
    [t('service.protocol'), label('protocol', s.protocol)],
    [t('service.version'), s.version],
    [t('connect.code'), s.code ? h('code', null, s.code) : null],
    [t('service.endpoint'), s.endpoint ? h('code', { class: 'wrap' }, s.endpoint) : null],
    [t('connect.upstream'), s.upstream_url ? h('code', { class: 'wrap' }, s.upstream_url) : null],
    [t('connect.health'), s.health_url ? h('code', { class: 'wrap' }, s.health_url) : null],
    [t('service.guide'), s.guide ? h('span', { class: 'pre' }, s.guide) : null],
  ]), s.upstream_url || s.health_url ? h('p', { class: 'hint' }, t('connect.internal_hint')) : null);
}

function methodsText(s, ops) {
  if (s.protocol === 'soap') return t('connect.methods_soap');
  if (ops.length) {
    const declared = [...new Set(ops.map(o => o.method))];
    return t('connect.methods_declared', { methods: declared.join(', ') });
  }
  return t('connect.methods_all', { methods: GATEWAY_METHODS.join(', ') });
}

function urlSection(s, ops) {
  const pattern = `${s.gateway_url}${t('connect.path_ph')}?${t('connect.query_ph')}`;
  const url = h('code', { id: 'gateway-url', class: 'wrap' }, s.gateway_url);
  return section(t('connect.url'),
    h('p', null, t('connect.url_intro')),
    facts([
      [t('connect.url_base'), h('span', { class: 'call-url' }, url, ' ',
        copyButton(s.gateway_url, t('connect.url_base'), url))],
      [t('connect.url_pattern'), h('code', { class: 'wrap' }, pattern)],
      [t('connect.methods'), h('span', { id: 'methods' }, methodsText(s, ops))],
    ]));
}

function curlText(s, op) {
  const soap = s.protocol === 'soap';
  const method = soap ? 'POST' : op ? op.method : 'GET';
  const path = op && !soap ? op.path.replace(/^\/+/, '') : '';
  const lines = [
    `# ${t('connect.curl_token')}`,
    `CLIENT_ID=${shellQuote('<client_id>')}`,
    `CLIENT_SECRET=${shellQuote('<client_secret>')}`,
    'TOKEN=$(curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \\',
    `  ${shellQuote(absolute(apiUrl('auth/token')))} \\`,
    `  | sed -E 's/.*"access_token" *: *"([^"]+)".*/\\1/')`,
    '',
    `# ${t('connect.curl_call')}`,
  ];
  if (!path) lines.push(`# ${t('connect.curl_path_hint')}`);
  // curl reads {} and [] in a URL as its own patterns.
  const opts = ['-sS', '-i', /[{}[\]]/.test(path) ? '-g' : null,
    method === 'HEAD' ? '-I' : method !== 'GET' && method !== 'POST' ? `-X ${method}` : null]
    .filter(Boolean).join(' ');
  lines.push(`curl ${opts} -H "Authorization: Bearer $TOKEN" \\`);
  if (soap) {
    lines.push(`  -H ${shellQuote('Content-Type: text/xml; charset=utf-8')} --data-binary @request.xml \\`);
  } else if (['POST', 'PUT', 'PATCH'].includes(method)) {
    lines.push(`  -H ${shellQuote('Content-Type: application/json')} --data-binary @request.json \\`);
  }
  lines.push(`  ${shellQuote(s.gateway_url + path)}`);
  return lines.join('\n');
}

function curlSection(s, ops) {
  return section(t('connect.curl'),
    h('p', null, t('connect.curl_intro')),
    codeBlock('curl-example', curlText(s, exampleOperation(ops)), t('connect.curl')));
}

function headerTable(rows, caption, withWhen) {
  const cols = [
    { label: t('connect.header'), value: r => h('code', null, r[0]), cls: 'nowrap' },
    { label: t('connect.meaning'), value: r => r[1] },
  ];
  if (withWhen) cols.push({ label: t('connect.when'), value: r => r[2] });
  return table(cols, rows, { caption });
}

function providerSection(s) {
  const jwks = absolute(apiUrl('auth/keys'));
  const aud = audience(s.gateway_url);
  const claims = [
    ['iss', t('connect.c.iss'), null],
    ['sub', t('connect.c.sub'), h('code', null, 'X-Datashare-Consumer')],
    ['aud', t('connect.c.aud'), aud ? h('code', { id: 'claim-aud' }, aud) : null],
    ['grant', t('connect.c.grant'), h('code', null, 'X-Datashare-Grant')],
    ['service', t('connect.c.service'), h('code', null, String(s.id))],
    ['request_id', t('connect.c.request_id'), h('code', null, 'X-Datashare-Request-Id')],
    ['iat', t('connect.c.iat'), null],
    ['exp', t('connect.c.exp'), h('code', null, 'iat + 60')],
  ];
  const verify = table([
    { label: t('connect.claim'), value: c => h('code', null, c[0]), cls: 'nowrap' },
    { label: t('connect.meaning'), value: c => c[1] },
    { label: t('connect.claim_value'), value: c => c[2] || '' },
  ], claims, { caption: t('connect.claims') });
  verify.id = 'assertion-claims';
  return section(t('connect.provider'),
    h('p', null, t('connect.provider_intro')),
    headerTable([
      ['X-Datashare-Consumer', t('connect.h.consumer')],
      ['X-Datashare-Grant', t('connect.h.grant')],
      ['X-Datashare-Request-Id', t('connect.h.request_id')],
      ['X-Datashare-Assertion', t('connect.h.assertion')],
    ], t('connect.provider')),
    h('h3', null, t('connect.verify')),
    h('ol', { class: 'steps' },
      h('li', null, t('connect.verify_keys'), ' ', h('a', { href: jwks, class: 'wrap' }, jwks)),
      h('li', null, t('connect.verify_alg')),
      h('li', null, t('connect.verify_signature')),
      h('li', null, t('connect.verify_claims')),
      h('li', null, t('connect.verify_headers'))),
    verify);
}

function answerSection() {
  return section(t('connect.answers'),
    h('p', null, t('connect.answers_intro')),
    headerTable([
      ['X-Request-Id', t('connect.a.request_id'), t('connect.when_every')],
      ['X-Request-Hash', t('connect.a.request_hash'), t('connect.when_every')],
      ['X-Gateway-Error', t('connect.a.gateway_error'), t('connect.when_error')],
      ['Retry-After', t('connect.a.retry_after'), t('connect.when_retry')],
      ['X-Datashare-Narrowed', t('connect.a.narrowed'), t('connect.when_narrowed')],
    ], t('connect.answers'), true));
}

function errorSection() {
  const envelope = '{"error": {"code": "grant_suspended", "message": "…", "details": [], "request_id": "…"}}';
  const codes = table([
    { label: t('connect.status'), value: e => String(e[0]), cls: 'num' },
    { label: t('connect.error_code'), value: e => h('code', null, e[1]) },
    { label: t('connect.meaning'), value: e => label('gwerror', e[1]) },
  ], ERRORS, { caption: t('connect.errors') });
  codes.id = 'error-codes';
  return section(t('connect.errors'),
    h('p', null, t('connect.errors_intro')),
    h('pre', { class: 'code-block', tabindex: '0', role: 'region', 'aria-label': t('connect.envelope') },
      h('code', null, envelope)),
    codes,
    h('p', { class: 'hint' }, t('connect.errors_provider')));
}

function seconds(ms) {
  return typeof ms === 'number' ? t('connect.seconds', { n: fmt.num(ms / 1000) }) : null;
}

function size(n) {
  if (typeof n !== 'number') return null;
  return t('connect.size', { size: fmt.bytes(n), n: fmt.num(n) });
}

function limitsSection(s) {
  const pairs = [];
  const add = (key, text, value) => { if (sent(s, key)) pairs.push([text, value]); };
  add('connect_timeout_ms', t('connect.connect_timeout'), seconds(s.connect_timeout_ms));
  add('response_timeout_ms', t('connect.response_timeout'), seconds(s.response_timeout_ms));
  add('max_request_bytes', t('connect.max_request'),
    s.max_request_bytes === 0 ? t('connect.no_body') : size(s.max_request_bytes));
  add('max_response_bytes', t('connect.max_response'), size(s.max_response_bytes));
  add('rate_limit_per_minute', t('connect.rate_limit'), s.rate_limit_per_minute === null
    ? t('connect.unlimited') : t('connect.per_minute', { n: fmt.num(s.rate_limit_per_minute) }));
  add('daily_quota', t('connect.daily_quota'), s.daily_quota === null
    ? t('connect.unlimited') : t('connect.per_day', { n: fmt.num(s.daily_quota) }));
  if (sent(s, 'narrow') && s.narrow !== null) {
    pairs.push([t('connect.narrow'), !s.narrow ? t('connect.narrow_off')
      : s.records_pointer ? t('connect.narrow_at', { pointer: s.records_pointer }) : t('connect.narrow_on')]);
  }
  add('log_mode', t('connect.log_mode'), s.log_mode ? label('log_mode', s.log_mode) : null);
  const shown = pairs.filter(([, v]) => v !== null && v !== undefined && v !== '');
  const dl = facts(shown);
  dl.id = 'limits';
  return section(t('connect.limits'),
    shown.length ? dl : emptyText(t('connect.limits_none')),
    h('p', { class: 'hint' }, t('connect.log_note')));
}

function openapiSection(s, doc, ops) {
  if (doc === false) return section(t('connect.openapi'), emptyText(t('connect.openapi_bad')));
  const info = doc.info && typeof doc.info === 'object' ? doc.info : {};
  const name = `${s.code || `service-${s.id}`}-openapi.json`;
  const download = h('button', { type: 'button', class: 'btn', id: 'openapi-download' }, t('connect.openapi_download'));
  download.addEventListener('click', () => {
    // The document as the server gave it, indented to be read.
    const text = typeof s.openapi === 'string' ? s.openapi : `${JSON.stringify(doc, null, 2)}\n`;
    saveBlob(new Blob([text], { type: 'application/json' }), name);
    announce(t('connect.openapi_saved'));
  });
  const list = table([
    { label: t('connect.method'), value: o => h('code', { class: 'method' }, o.method) },
    { label: t('connect.path'), value: o => h('code', { class: 'wrap' }, o.path) },
    { label: t('connect.summary'), value: o => o.summary },
  ], ops, { caption: t('connect.operations'), empty: t('connect.openapi_none') });
  list.id = 'openapi-operations';
  return section(t('connect.openapi'),
    h('p', null, t('connect.openapi_intro')),
    facts([
      [t('connect.doc_title'), textOf(info.title)],
      [t('connect.doc_version'), textOf(info.version)],
      [t('connect.doc_openapi'), textOf(doc.openapi)],
    ]),
    list,
    h('p', null, download));
}

// ---------------------------------------------------------------- page

export async function show({ id }) {
  let s;
  try {
    s = await get(`services/${encodeURIComponent(id)}`);
  } catch (e) {
    // Services of shared data are for signed-in officers only.
    if (e instanceof ApiError && e.status === 404 && !session()) {
      return page(t('connect.title_plain'),
        h('p', { class: 'notice' }, t('connect.sign_in'), ' ',
          link(route('/signin', { next: `/services/${id}` }), t('auth.signin'))));
    }
    throw e;
  }
  const doc = openapiDoc(s);
  const ops = doc ? operations(doc) : [];
  const callable = typeof s.gateway_url === 'string' && s.gateway_url !== '';
  return page(t('connect.title', { name: s.name }),
    h('p', { class: 'meta' }, badge('status', s.status), ' ', s.agency_name),
    h('p', { class: 'lead' }, t('connect.lead')),
    callable ? null
      : h('p', { class: 'notice', id: 'not-callable' }, t('connect.not_callable')),
    callable && s.status === 'deprecated'
      ? h('p', { class: 'notice', id: 'deprecated' }, t('connect.deprecated')) : null,
    aboutSection(s),
    callable ? [urlSection(s, ops), curlSection(s, ops), providerSection(s), answerSection(),
      errorSection(), limitsSection(s)] : null,
    doc !== null ? openapiSection(s, doc, ops) : null,
    h('p', null, link('/services', t('connect.back'))));
}
