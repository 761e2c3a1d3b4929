// The portal's shell: language, header, navigation and the hash router.
// Pages live in views/*.js; each route gives back the content of <main>.

import { h, replace, link } from './dom.js';
import { t, loadLanguage, savedLanguage, lang } from './i18n.js';
import { session, forget, isDic } from './session.js';
import { whenExpired } from './api.js';
import { errorText } from './errors.js';
import { announce } from './live.js';
import * as pub from './views/public.js';
import * as auth from './views/signin.js';
import * as notes from './views/notifications.js';
import * as reqs from './views/requests.js';
import * as grants from './views/grants.js';
import * as susp from './views/suspensions.js';
import * as disp from './views/disputes.js';
import * as dic from './views/dic.js';
import * as connect from './views/connection.js';

// [pattern, view, needs sign-in]; :name captures one path segment.
const ROUTES = [
  ['/', pub.home, false],
  ['/search', pub.search, false],
  ['/datasets/:id', pub.dataset, false],
  ['/services', pub.services, false],
  ['/services/:id', connect.show, false],
  ['/catalog', pub.versions, false],
  ['/catalog/:id', pub.version, false],
  ['/signin', auth.signin, false],
  ['/ws', notes.notifications, true],
  ['/ws/requests', reqs.list, true],
  ['/ws/requests/new', reqs.create, true],
  ['/ws/requests/:id', reqs.show, true],
  ['/ws/grants', grants.list, true],
  ['/ws/grants/:id', grants.show, true],
  ['/ws/suspensions', susp.list, true],
  ['/ws/suspensions/:id', susp.show, true],
  ['/ws/disputes', disp.list, true],
  ['/ws/disputes/new', disp.create, true],
  ['/ws/disputes/:id', disp.show, true],
  ['/ws/overdue', dic.overdue, true],
  ['/ws/reports', dic.reports, true],
  ['/ws/reports/:name', dic.report, true],
];

function match(path) {
  const parts = path.split('/').filter(Boolean);
  for (const [pattern, view, auth] of ROUTES) {
    const pp = pattern.split('/').filter(Boolean);
    if (pp.length !== parts.length) continue;
    const params = {};
    let ok = true;
    pp.forEach((p, i) => {
      if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(parts[i]);
      else if (p !== parts[i]) ok = false;
    });
    if (ok) return { view, auth, params };
  }
  return null;
}

export function currentRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, qs] = raw.split('?');
  return { path: path || '/', query: new URLSearchParams(qs || '') };
}

// go('/search', {q: 'x'}): navigate inside the portal.
export function go(path, query) {
  const qs = query ? new URLSearchParams(Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')).toString() : '';
  const target = `#${path}${qs ? `?${qs}` : ''}`;
  if (location.hash === target) render();
  else location.hash = target;
}

export function setTitle(text) {
  document.title = text ? `${text} · ${t('site.name')}` : t('site.name');
}

const PUBLIC_NAV = [['/', 'nav.home'], ['/search', 'nav.search'],
  ['/services', 'nav.services'], ['/catalog', 'nav.catalog']];
const WS_NAV = [['/ws', 'nav.ws.notifications'], ['/ws/requests', 'nav.ws.requests'],
  ['/ws/grants', 'nav.ws.grants'], ['/ws/suspensions', 'nav.ws.suspensions'],
  ['/ws/disputes', 'nav.ws.disputes']];
const DIC_NAV = [['/ws/overdue', 'nav.ws.overdue'], ['/ws/reports', 'nav.ws.reports']];

function navList(items, path, label) {
  const current = (p) => (p === '/' ? path === '/' : path === p || (p !== '/ws' && path.startsWith(`${p}/`)));
  return h('ul', { 'aria-label': label || null }, items.map(([p, key]) =>
    h('li', null, link(p, t(key), { 'aria-current': current(p) ? 'page' : null }))));
}

function renderShell(path) {
  const s = session();
  document.getElementById('skip-link').textContent = t('a11y.skip');
  const brand = document.getElementById('brand');
  replace(brand, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), h('span', null, t('site.name')),
    h('span', { class: 'brand-sub' }, t('site.province')));
  const nav = document.getElementById('site-nav');
  nav.setAttribute('aria-label', t('nav.label'));
  const toggle = h('button', { type: 'button', class: 'btn menu-toggle', 'aria-expanded': 'false',
    'aria-controls': 'nav-list' }, t('nav.menu'));
  const list = navList(PUBLIC_NAV, path);
  list.id = 'nav-list';
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    nav.classList.toggle('open', open);
  });
  replace(nav, toggle, list);

  const other = lang() === 'vi' ? 'en' : 'vi';
  const langBtn = h('button', { type: 'button', class: 'btn lang', lang: other,
    'aria-label': t('lang.switch_label') }, t('lang.other'));
  langBtn.addEventListener('click', async () => {
    await loadLanguage(other);
    render();
    document.querySelector('.btn.lang')?.focus();
  });
  const tools = document.getElementById('tools');
  if (s) {
    const out = h('button', { type: 'button', class: 'btn', id: 'signout' }, t('auth.signout'));
    out.addEventListener('click', () => {
      forget();
      announce(t('auth.signed_out'));
      go('/');
    });
    replace(tools, langBtn, link('/ws', t('nav.workspace'), { class: 'btn ws-link' }),
      h('span', { class: 'who' }, s.me.agency_name), out);
  } else {
    replace(tools, langBtn, link('/signin', t('auth.signin'), { class: 'btn primary' }));
  }

  const bar = document.getElementById('ws-bar');
  if (s && path.startsWith('/ws')) {
    bar.hidden = false;
    replace(bar, h('nav', { 'aria-label': t('nav.ws.label') },
      navList(isDic() ? [...WS_NAV, ...DIC_NAV] : WS_NAV, path)));
  } else {
    bar.hidden = true;
    replace(bar);
  }
  replace(document.getElementById('footer'),
    h('p', null, t('site.footer')), h('p', null, t('site.footer_law')));
}

let firstRender = true;
let renderSeq = 0;

export async function render() {
  const { path, query } = currentRoute();
  const main = document.getElementById('main');
  const m = match(path);
  renderShell(path);
  const seq = ++renderSeq;
  if (!m) {
    setTitle(t('page.not_found'));
    replace(main, h('h1', { tabindex: '-1' }, t('page.not_found')), h('p', null, link('/', t('nav.home'))));
    main.dataset.route = location.hash;
    return;
  }
  if (m.auth && !session()) {
    go('/signin', { next: `${path}${query.toString() ? `?${query}` : ''}` });
    return;
  }
  main.setAttribute('aria-busy', 'true');
  let content;
  try {
    content = await m.view(m.params, query);
  } catch (e) {
    content = h('div', null, h('h1', { tabindex: '-1' }, t('page.error')),
      h('p', { class: 'form-alert', role: 'alert' }, errorText(e)));
    console.error(e);
  }
  if (seq !== renderSeq) return; // a later navigation won
  replace(main, content);
  main.removeAttribute('aria-busy');
  // Which route <main> shows now (tests and scripts wait for it).
  main.dataset.route = location.hash || '#/';
  // After a navigation, take keyboard and screen-reader users to the new
  // page's heading; on the first load, leave focus where the browser put it.
  if (!firstRender) {
    const h1 = main.querySelector('h1');
    if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: false }); }
  }
  firstRender = false;
}

whenExpired(() => {
  announce(t('auth.expired'));
  go('/signin', { expired: '1' });
});

// The skip link's "#main" would be a route: move focus instead.
document.getElementById('skip-link').addEventListener('click', ev => {
  ev.preventDefault();
  document.getElementById('main').focus();
});

window.addEventListener('hashchange', render);

(async () => {
  await loadLanguage(savedLanguage());
  await render();
  document.body.classList.add('ready');
})();
