// Pieces several pages share: headings, status badges, paging, lookups of
// agency and dataset names, loading a list page.

import { h, link, replace } from '../dom.js';
import { t, label } from '../i18n.js';
import { get, all } from '../api.js';
import { session } from '../session.js';
import { setTitle } from '../app.js';
import { errorText } from '../errors.js';

export function page(title, ...children) {
  setTitle(title);
  return h('div', { class: 'page' }, h('h1', null, title), ...children);
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

// A status or classification as a coloured badge with its text (the
// colour never carries the meaning alone).
export function badge(group, code) {
  if (code === null || code === undefined) return '';
  return h('span', { class: `badge ${group}-${code}` }, label(group, code));
}

export function errorBox(err) {
  return h('div', { class: 'form-alert', role: 'alert' }, errorText(err));
}

// Paging over an API list: `next_cursor` goes forward; the cursors of the
// pages already seen (kept per list in memory) go back.
const seen = new Map();
export function pager(key, query, nextCursor, makeRoute) {
  const pageNo = Number(query.get('page') || 1);
  const cursors = seen.get(key) || [null];
  cursors[pageNo - 1] = query.get('cursor') || null;
  seen.set(key, cursors);
  if (pageNo === 1 && !nextCursor) return null;
  const prev = pageNo > 1 ? makeRoute({ cursor: cursors[pageNo - 2] || '', page: pageNo - 1 }) : null;
  const next = nextCursor ? makeRoute({ cursor: nextCursor, page: pageNo + 1 }) : null;
  return h('nav', { class: 'pager', 'aria-label': t('pager.label') },
    prev ? link(prev, t('pager.prev'), { rel: 'prev', class: 'btn' }) : h('span', { class: 'btn disabled', 'aria-disabled': 'true' }, t('pager.prev')),
    h('span', { class: 'page-no' }, t('pager.page', { n: pageNo })),
    next ? link(next, t('pager.next'), { rel: 'next', class: 'btn' }) : h('span', { class: 'btn disabled', 'aria-disabled': 'true' }, t('pager.next')));
}

// Route text with a query string.
export function route(path, params) {
  const qs = new URLSearchParams(Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();
  return qs ? `${path}?${qs}` : path;
}

// Names of agencies and datasets, looked up once per session token.
let cacheFor = null;
let agencies = null;
const datasets = new Map();

function freshCache() {
  const tok = session()?.token || null;
  if (cacheFor !== tok) {
    cacheFor = tok;
    agencies = null;
    datasets.clear();
  }
}

export async function agencyNames() {
  freshCache();
  if (!agencies) {
    agencies = new Map();
    try {
      for (const a of await all('agencies')) agencies.set(a.id, a.name);
    } catch (e) { /* names are a nicety: ids still show */ }
  }
  return agencies;
}

export function agencyLabel(names, id) {
  if (id === null || id === undefined) return '';
  return names.get(id) || t('agency.numbered', { id });
}

export async function datasetTitle(id) {
  freshCache();
  if (!datasets.has(id)) {
    datasets.set(id, get(`datasets/${id}`).then(d => d.title).catch(() => null));
  }
  return (await datasets.get(id)) || t('dataset.numbered', { id });
}

// A dataset's title as a link, filled in when the lookup answers.
export function datasetLink(id) {
  const a = link(`/datasets/${id}`, t('dataset.numbered', { id }));
  datasetTitle(id).then(title => { a.textContent = title; });
  return a;
}

export function yesNo(v) {
  return v ? t('common.yes') : t('common.no');
}

// Tabs as links (each its own route), marked for assistive technology.
export function tabs(items, currentKey) {
  return h('nav', { class: 'tabs', 'aria-label': t('tabs.label') }, h('ul', null, items.map(([key, route, text]) =>
    h('li', null, link(route, text, { 'aria-current': key === currentKey ? 'page' : null })))));
}

export function emptyText(text) {
  return h('p', { class: 'empty' }, text);
}

export function fill(el, promise, render) {
  promise.then(v => replace(el, render(v))).catch(e => replace(el, errorBox(e)));
  return el;
}
