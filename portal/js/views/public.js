// The public part (no account needed): home, search, a dataset, the
// sharing-service registry, the issued catalog versions (Art. 12, 17.1.e).

import { h, link, facts, table, replace } from '../dom.js';
import { t, label } from '../i18n.js';
import { get, apiUrl, ApiError } from '../api.js';
import { session } from '../session.js';
import { go } from '../app.js';
import * as fmt from '../format.js';
import { page, section, badge, errorBox, pager, route, emptyText, agencyNames, agencyLabel } from './common.js';

function searchForm(q = '', extra = {}) {
  const input = h('input', { type: 'search', id: 'q', name: 'q', value: q,
    maxlength: '200', autocomplete: 'off', 'aria-describedby': 'q-hint' });
  const form = h('form', { class: 'search-form', role: 'search', 'aria-label': t('search.label') },
    h('label', { for: 'q' }, t('search.label')),
    h('p', { class: 'hint', id: 'q-hint' }, t('search.hint')),
    h('div', { class: 'search-row' }, input,
      h('button', { type: 'submit', class: 'btn primary' }, t('search.submit'))));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const v = input.value.trim();
    if (v) go('/search', { q: v, ...extra });
    else input.focus();
  });
  return form;
}

function datasetCard(d) {
  return h('li', { class: 'ds-card' },
    h('h3', null, link(`/datasets/${d.id}`, d.title)),
    h('p', { class: 'meta' }, d.agency_name),
    d.description ? h('p', { class: 'desc' }, d.description) : null,
    h('p', { class: 'counts' },
      h('span', null, t('dataset.views_n', { n: fmt.num(d.views) })),
      h('span', null, t('dataset.downloads_n', { n: fmt.num(d.downloads) }))));
}

export async function home() {
  const popular = h('div', { class: 'popular' }, h('p', { class: 'loading' }, t('common.loading')));
  get('open-data', { sort: 'demand', limit: 6 }, { auth: false })
    .then(r => replace(popular, r.items.length
      ? h('ol', { class: 'ds-cards' }, r.items.map(datasetCard))
      : emptyText(t('home.no_open_data'))))
    .catch(e => replace(popular, errorBox(e)));
  const p = page(t('home.title'),
    h('p', { class: 'lead' }, t('home.lead')),
    h('div', { class: 'hero' }, searchForm()),
    h('section', { class: 'plain', 'aria-labelledby': 'popular-h' },
      h('h2', { id: 'popular-h' }, t('home.popular')), popular),
    h('section', { class: 'plain links-grid', 'aria-label': t('home.more') },
      h('div', { class: 'card' }, h('h2', null, link('/services', t('nav.services'))), h('p', null, t('home.services_about'))),
      h('div', { class: 'card' }, h('h2', null, link('/catalog', t('nav.catalog'))), h('p', null, t('home.catalog_about'))),
      h('div', { class: 'card' }, h('h2', null, link(session() ? '/ws' : '/signin', t('nav.workspace'))), h('p', null, t('home.ws_about')))));
  return p;
}

// ------------------------------------------------------------------ search

const FACETS = [
  ['type', r => r.type, v => label('type', v)],
  ['classification', r => r.classification, v => label('classification', v)],
  ['agency_id', r => r.agency_id, (v, r) => r.agency_name],
  ['database_id', r => r.database_id, v => t('database.numbered', { id: v })],
];
const FILTERS = FACETS.map(f => f[0]);

function resultLink(r) {
  if (r.type === 'dataset') return link(`/datasets/${r.id}`, r.title);
  if (r.type === 'service') return link(`/services/${r.id}`, r.title);
  return h('span', null, r.title);
}

// Facet values and counts over the best 200 matches of q with the other
// filters applied (the API has no counts of its own).
function facetNav(q, query, pool, dbNames) {
  const groups = [];
  for (const [key, pick, name] of FACETS) {
    const counts = new Map();
    for (const r of pool) {
      const v = pick(r);
      if (v === null || v === undefined) continue;
      const e = counts.get(v) || { n: 0, r };
      e.n += 1;
      counts.set(v, e);
    }
    const active = query.get(key);
    if (!counts.size && !active) continue;
    const items = [...counts.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, 12);
    const params = Object.fromEntries(FILTERS.map(k => [k, query.get(k)]));
    groups.push(h('div', { class: 'facet' }, h('h3', null, t(`facet.${key}`)), h('ul', null,
      items.map(([v, { n, r }]) => {
        const on = String(v) === active;
        const text = key === 'database_id' && dbNames.get(v) ? dbNames.get(v) : name(v, r);
        return h('li', null, link(route('/search', { q, ...params, [key]: on ? '' : v }),
          [text, ' ', h('span', { class: 'count' }, `(${fmt.num(n)})`)],
          { 'aria-current': on ? 'true' : null, class: on ? 'on' : null,
            'aria-label': on ? t('facet.remove', { name: text }) : null }));
      }))));
  }
  return h('aside', { class: 'facets', 'aria-label': t('facet.label') }, h('h2', null, t('facet.title')), groups);
}

export async function search(params, query) {
  const q = (query.get('q') || '').trim();
  const filters = Object.fromEntries(FILTERS.map(k => [k, query.get(k)]).filter(([, v]) => v));
  const content = [searchForm(q, {})];
  if (!q) return page(t('search.title'), ...content);
  let res;
  let pool;
  try {
    [res, pool] = await Promise.all([
      get('search', { q, ...filters, limit: 20, cursor: query.get('cursor') }),
      get('search', { q, limit: 200 }).then(r => r.items),
    ]);
  } catch (e) {
    return page(t('search.title'), ...content, errorBox(e));
  }
  const dbNames = new Map(pool.filter(r => r.type === 'database').map(r => [r.database_id, r.title]));
  const narrowed = pool.filter(r => FILTERS.every(k => !filters[k] || String(FACETS.find(f => f[0] === k)[1](r)) === filters[k]));
  const list = res.items.length
    ? h('ol', { class: 'results', id: 'results' }, res.items.map(r => h('li', { class: 'result' },
      h('h3', null, resultLink(r)),
      h('p', { class: 'meta' }, badge('type', r.type), ' ',
        r.classification ? badge('classification', r.classification) : null, ' ', r.agency_name))))
    : emptyText(t('search.none'));
  const paging = pager(`search:${q}:${JSON.stringify(filters)}`, query, res.next_cursor,
    p => route('/search', { q, ...filters, ...p }));
  const active = Object.entries(filters);
  return page(t('search.title'), ...content,
    h('p', { class: 'summary', role: 'status' }, t('search.for', { q })),
    active.length ? h('p', { class: 'active-filters' }, t('facet.active'), ' ',
      active.map(([k]) => link(route('/search', { q, ...filters, [k]: '' }), t('facet.clear_one', { name: t(`facet.${k}`) }), { class: 'chip' })),
    ' ', link(route('/search', { q }), t('facet.clear_all'), { class: 'chip' })) : null,
    h('div', { class: 'search-layout' },
      facetNav(q, query, narrowed, dbNames),
      h('div', { class: 'search-results' }, h('h2', { class: 'sr-only' }, t('search.results')), list, paging)));
}

// ----------------------------------------------------------------- dataset

function fieldTable(fields) {
  return table([
    { label: t('field.name'), value: f => h('code', null, f.name) },
    { label: t('field.type'), value: f => label('ftype', f.type) },
    { label: t('field.meaning'), value: f => f.meaning },
    { label: t('field.personal'), value: f => (f.personal ? t('common.yes') : t('common.no')) },
  ], fields || [], { caption: t('dataset.structure'), empty: t('dataset.no_fields') });
}

function serviceTable(services) {
  return table([
    { label: t('service.name'), value: s => link(`/services/${s.id}`, s.name) },
    { label: t('service.protocol'), value: s => label('protocol', s.protocol) },
    { label: t('service.endpoint'), value: s => h('code', { class: 'wrap' }, s.endpoint) },
    { label: t('service.version'), value: s => s.version },
    { label: t('service.guide'), value: s => s.guide || '' },
  ], services || [], { caption: t('dataset.services'), empty: t('dataset.no_services') });
}

function fileTable(d, files, open) {
  return table([
    { label: t('file.name'), value: f => f.name },
    { label: t('file.version'), value: f => fmt.num(f.version) },
    { label: t('file.format'), value: f => (f.format || '').toUpperCase() },
    { label: t('file.size'), value: f => fmt.bytes(f.bytes) },
    { label: t('file.uploaded'), value: f => fmt.dateTime(f.created_at) },
    { label: t('file.download'), value: f => (open
      ? h('a', { href: apiUrl(`open-data/${d.id}/files/${f.id}`), download: f.name, class: 'btn small download',
        'aria-label': t('file.download_named', { name: f.name }) }, t('file.download'))
      : t('file.via_grant')) },
  ], files, { caption: t('dataset.files'), empty: t('dataset.no_files') });
}

async function loadDataset(id) {
  try {
    return { d: await get(`open-data/${id}`, {}, { auth: false }), open: true };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404 || !session()) throw e;
  }
  const d = await get(`datasets/${id}`);
  d.services = (await get('services', { dataset_id: id, status: 'active' }).catch(() => ({ items: [] }))).items;
  return { d, open: false };
}

export async function dataset({ id }) {
  const { d, open } = await loadDataset(id);
  const filesEl = h('div', null, h('p', { class: 'loading' }, t('common.loading')));
  get(open ? `open-data/${id}/files` : `datasets/${id}/files`, { limit: 50 }, { auth: !open })
    .then(r => replace(filesEl, fileTable(d, r.items, open)))
    .catch(() => replace(filesEl, emptyText(t('dataset.files_hidden'))));
  const me = session()?.me;
  const canRequest = me && me.agency_id !== d.agency_id && !me.grant_id
    && d.status === 'published' && ['open', 'shared'].includes(d.classification);
  return page(d.title,
    h('p', { class: 'meta' }, badge('classification', d.classification), ' ', d.agency_name),
    d.description ? h('p', { class: 'lead' }, d.description) : null,
    canRequest ? h('p', null, link(route('/ws/requests/new', { dataset_id: d.id }), t('request.new_for_dataset'), { class: 'btn primary' })) : null,
    section(t('dataset.about'), facts([
      [t('dataset.agency'), d.agency_name],
      [t('dataset.classification'), label('classification', d.classification)],
      [t('dataset.keywords'), (d.keywords || []).join(', ')],
      [t('dataset.frequency'), label('freq', d.update_frequency)],
      [t('dataset.published_at'), fmt.dateTime(d.published_at)],
      [t('dataset.data_updated_at'), fmt.dateTime(d.data_updated_at)],
      [t('dataset.update_due_at'), fmt.date(d.update_due_at)],
      [t('dataset.sharing_methods'), d.sharing_methods],
      [t('dataset.technical_guide'), d.technical_guide],
      [t('dataset.views'), h('span', { id: 'views' }, fmt.num(d.views))],
      [t('dataset.downloads'), h('span', { id: 'downloads', 'data-value': d.downloads ?? '' }, fmt.num(d.downloads))],
    ])),
    section(t('dataset.structure'), fieldTable(d.fields)),
    section(t('dataset.files'), filesEl),
    section(t('dataset.services'), serviceTable(d.services)));
}

// ---------------------------------------------------------------- services

export async function services(params, query) {
  const filters = { protocol: query.get('protocol'), status: query.get('status') };
  const only = query.get('id');
  let res;
  try {
    res = only ? { items: [await get(`services/${only}`)], next_cursor: null }
      : await get('services', { ...filters, limit: 25, cursor: query.get('cursor') });
  } catch (e) {
    return page(t('services.title'), errorBox(e));
  }
  const form = h('form', { class: 'filters', 'aria-label': t('services.filter') },
    h('div', { class: 'field' }, h('label', { for: 'protocol' }, t('service.protocol')),
      h('select', { id: 'protocol', name: 'protocol' }, ['', 'rest', 'soap', 'sftp', 'file', 'other'].map(p =>
        h('option', { value: p, selected: p === (filters.protocol || '') }, p ? label('protocol', p) : t('common.all'))))),
    h('div', { class: 'field' }, h('label', { for: 'status' }, t('service.status')),
      h('select', { id: 'status', name: 'status' }, ['', 'active', 'deprecated'].map(p =>
        h('option', { value: p, selected: p === (filters.status || '') }, p ? label('status', p) : t('common.all'))))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, t('common.apply'))));
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    go('/services', { protocol: form.elements.protocol.value, status: form.elements.status.value });
  });
  return page(t('services.title'),
    h('p', { class: 'lead' }, t('services.lead')),
    only ? h('p', null, link('/services', t('services.all'))) : form,
    table([
      { label: t('service.name'), value: s => link(`/services/${s.id}`, s.name) },
      { label: t('service.dataset'), value: s => link(`/datasets/${s.dataset_id}`, s.dataset_title || t('dataset.numbered', { id: s.dataset_id })) },
      { label: t('service.provider'), value: s => s.agency_name },
      { label: t('service.protocol'), value: s => label('protocol', s.protocol) },
      { label: t('service.endpoint'), value: s => h('code', { class: 'wrap' }, s.endpoint) },
      { label: t('service.version'), value: s => s.version },
      { label: t('service.status'), value: s => badge('status', s.status) },
    ], res.items, { caption: t('services.title'), empty: t('services.none') }),
    pager('services', query, res.next_cursor, p => route('/services', { ...filters, ...p })));
}

// --------------------------------------------------------- catalog versions

function needsSignIn(e) {
  return e instanceof ApiError && e.status === 401;
}

export async function versions(params, query) {
  let res;
  try {
    res = await get('catalog/versions', { limit: 50, cursor: query.get('cursor') });
  } catch (e) {
    if (needsSignIn(e)) {
      return page(t('catalog.title'), h('p', { class: 'lead' }, t('catalog.lead')),
        h('p', { class: 'notice' }, t('catalog.sign_in'), ' ', link(route('/signin', { next: '/catalog' }), t('auth.signin'))));
    }
    throw e;
  }
  return page(t('catalog.title'), h('p', { class: 'lead' }, t('catalog.lead')),
    table([
      { label: t('catalog.number'), value: v => link(`/catalog/${v.id}`, v.number) },
      { label: t('catalog.decision_ref'), value: v => v.decision_ref },
      { label: t('catalog.issued_on'), value: v => fmt.date(v.issued_on) },
      { label: t('catalog.changes'), value: v => fmt.num(v.changes) },
    ], res.items, { caption: t('catalog.title'), empty: t('catalog.none') }),
    pager('versions', query, res.next_cursor, p => route('/catalog', p)));
}

export async function version({ id }) {
  const v = await get(`catalog/versions/${id}`);
  const snap = v.snapshot || {};
  const names = await agencyNames();
  return page(t('catalog.version', { number: v.number }),
    section(t('catalog.decision'), facts([
      [t('catalog.number'), v.number],
      [t('catalog.decision_ref'), v.decision_ref],
      [t('catalog.issued_on'), fmt.date(v.issued_on)],
      [t('catalog.issued_at'), fmt.dateTime(v.issued_at)],
      [t('catalog.changes'), fmt.num(v.changes)],
    ])),
    section(t('catalog.databases'), (snap.databases || []).length
      ? h('ul', { class: 'snapshot' }, snap.databases.map(db => h('li', null,
        h('h3', null, db.name), h('p', { class: 'meta' }, db.agency_name || agencyLabel(names, db.agency_id)),
        (db.datasets || []).length ? h('ul', null, db.datasets.map(ds => h('li', null,
          link(`/datasets/${ds.id}`, ds.title), ' ', badge('classification', ds.classification)))) : null)))
      : emptyText(t('catalog.no_databases'))),
    h('p', null, link('/catalog', t('catalog.back'))));
}
