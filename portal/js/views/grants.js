// Grants (R5; Art. 14.5, 16.2.e) and their connection accounts; the
// provider's suspend and terminate forms (R7; Art. 16.1.g).

import { h, link, facts, table, replace } from '../dom.js';
import { t, label } from '../i18n.js';
import { get, post, all, ApiError } from '../api.js';
import { session } from '../session.js';
import { buildForm } from '../forms.js';
import { go } from '../app.js';
import { announce } from '../live.js';
import * as fmt from '../format.js';
import { page, section, badge, pager, route, tabs, agencyNames, agencyLabel, datasetLink, errorBox, emptyText } from './common.js';
import { suspensionTable, liftForm } from './suspensions.js';

const STATUSES = ['active', 'expired', 'suspended', 'terminated'];

export async function list(params, query) {
  const side = query.get('side') === 'provider' ? 'provider' : 'consumer';
  const status = STATUSES.includes(query.get('status')) ? query.get('status') : '';
  const [res, names] = await Promise.all([
    get('grants', { side, status, limit: 25, cursor: query.get('cursor') }), agencyNames()]);
  const other = side === 'provider' ? 'consumer_agency_id' : 'provider_agency_id';
  return page(t('grant.title'),
    tabs([['consumer', route('/ws/grants', { side: 'consumer' }), t('grant.received')],
      ['provider', route('/ws/grants', { side: 'provider' }), t('grant.given')]], side),
    h('nav', { class: 'chips', 'aria-label': t('grant.filter_status') },
      ['', ...STATUSES].map(s => link(route('/ws/grants', { side, status: s }), s ? label('status', s) : t('common.all'),
        { class: 'chip', 'aria-current': s === status ? 'true' : null }))),
    table([
      { label: t('grant.number'), value: g => link(`/ws/grants/${g.id}`, t('grant.numbered', { id: g.id })) },
      { label: t('grant.dataset'), value: g => datasetLink(g.dataset_id) },
      { label: side === 'provider' ? t('grant.consumer') : t('grant.provider'), value: g => agencyLabel(names, g[other]) },
      { label: t('grant.status'), value: g => badge('status', g.status) },
      { label: t('grant.starts_at'), value: g => fmt.dateTime(g.starts_at) },
      { label: t('grant.ends_at'), value: g => (g.ends_at ? fmt.dateTime(g.ends_at) : label('term', 'indefinite')) },
    ], res.items, { caption: t('grant.title'), empty: t('grant.none') }),
    pager(`grants:${side}:${status}`, query, res.next_cursor, p => route('/ws/grants', { side, status, ...p })));
}

async function grounds() {
  try {
    return await get('suspensions/grounds');
  } catch (e) {
    return { suspension_grounds: [], termination_grounds: [] };
  }
}

function groundOptions(codes) {
  return codes.map(c => ({ value: c, label: label('ground', c) }));
}

function suspendForm(g, gr) {
  return buildForm({
    cls: 'suspend', title: t('suspension.new_title'), intro: t('suspension.new_intro', { hours: gr.suspension_notice_hours ?? 24 }), danger: true,
    fields: [
      { name: 'violation', label: t('suspension.violation'), type: 'textarea', required: true, rows: 3 },
      { name: 'legal_ground', label: t('suspension.legal_ground'), type: 'select', required: true,
        options: [{ value: '', label: t('common.choose') }, ...groundOptions(gr.suspension_grounds || [])] },
      { name: 'determined_at', label: t('suspension.determined_at'), type: 'datetime', required: true,
        value: fmt.nowLocalInput(), toApi: fmt.localToUtc, hint: t('suspension.determined_hint') },
      { name: 'handling_plan', label: t('suspension.handling_plan'), type: 'textarea', required: true, rows: 2 },
      { name: 'consumer_action', label: t('suspension.consumer_action'), type: 'textarea', required: true, rows: 2 },
    ],
    submit: t('suspension.suspend'),
    onSubmit: async v => {
      const s = await post(`grants/${g.id}/suspensions`, v);
      announce(t('suspension.suspended_ok'));
      go(`/ws/suspensions/${s.id}`, { done: 'suspended' });
    },
  });
}

function terminateForm(g, gr) {
  return buildForm({
    cls: 'terminate', title: t('termination.title'), intro: t('termination.intro'), danger: true,
    fields: [
      { name: 'reason', label: t('termination.reason'), type: 'textarea', required: true, rows: 2 },
      { name: 'legal_ground', label: t('termination.legal_ground'), type: 'select', required: true,
        options: [{ value: '', label: t('common.choose') }, ...groundOptions(gr.termination_grounds || [])] },
    ],
    submit: t('termination.submit'),
    onSubmit: async v => {
      await post(`grants/${g.id}/termination`, v);
      announce(t('termination.done'));
      go(`/ws/grants/${g.id}`, { done: 'terminated' });
    },
  });
}

function accountsSection(g, provider) {
  const listEl = h('div', null, h('p', { class: 'loading' }, t('common.loading')));
  const secretEl = h('div', { role: 'status' });
  const load = () => all(`grants/${g.id}/accounts`).then(items => replace(listEl, table([
    { label: t('account.name'), value: a => a.name },
    { label: t('account.client_id'), value: a => h('code', null, a.client_id) },
    { label: t('account.status'), value: a => badge('status', a.status) },
    { label: t('account.created'), value: a => fmt.dateTime(a.created_at) },
    { label: t('common.actions'), value: a => (a.status === 'active' ? revokeButton(g, a, load) : '') },
  ], items, { caption: t('account.title'), empty: t('account.none') }))).catch(e => replace(listEl, errorBox(e)));
  load();
  const form = provider && g.status === 'active' ? buildForm({
    cls: 'issue-account', title: t('account.issue_title'),
    fields: [{ name: 'name', label: t('account.name'), required: true, hint: t('account.name_hint') }],
    submit: t('account.issue'),
    onSubmit: async (v, el) => {
      const a = await post(`grants/${g.id}/accounts`, v);
      el.reset();
      replace(secretEl, h('div', { class: 'notice ok secret' },
        h('p', null, h('strong', null, t('account.secret_once'))),
        facts([[t('account.client_id'), h('code', null, a.client_id)], [t('account.client_secret'), h('code', null, a.client_secret)]])));
      announce(t('account.issued_ok'));
      await load();
    },
  }) : null;
  return section(t('account.title'), secretEl, listEl, form ? form.el : null);
}

function revokeButton(g, a, reload) {
  const b = h('button', { type: 'button', class: 'btn small danger', 'aria-label': t('account.revoke_named', { name: a.name }) }, t('account.revoke'));
  b.addEventListener('click', () => post(`grants/${g.id}/accounts/${a.id}/revoke`)
    .then(() => { announce(t('account.revoked_ok')); reload(); })
    .catch(e => b.replaceWith(errorBox(e))));
  return b;
}

export async function show({ id }, query) {
  const [g, names, gr] = await Promise.all([get(`grants/${id}`), agencyNames(), grounds()]);
  const me = session().me;
  const provider = me.agency_id === g.provider_agency_id || me.is_dic;
  const susp = await all('suspensions', { grant_id: g.id }).catch(() => []);
  let term = null;
  if (g.status === 'terminated') {
    term = await get(`grants/${g.id}/termination`).catch(e => (e instanceof ApiError ? null : Promise.reject(e)));
  }
  const done = query.get('done');
  return page(t('grant.numbered', { id: g.id }),
    done ? h('p', { class: 'notice ok', role: 'status' }, t(`grant.done.${done}`)) : null,
    h('p', { class: 'meta' }, badge('status', g.status), g.not_started ? [' ', badge('flag', 'not_started')] : null),
    section(t('grant.details'), facts([
      [t('grant.dataset'), datasetLink(g.dataset_id)],
      [t('request.service'), g.service_id ? link(`/services/${g.service_id}`, t('connect.link')) : null],
      [t('grant.provider'), agencyLabel(names, g.provider_agency_id)],
      [t('grant.consumer'), agencyLabel(names, g.consumer_agency_id)],
      [t('grant.fields'), (g.fields || []).join(', ')],
      [t('grant.starts_at'), fmt.dateTime(g.starts_at)],
      [t('grant.ends_at'), g.ends_at ? fmt.dateTime(g.ends_at) : label('term', 'indefinite')],
      [t('grant.request'), g.request_id ? link(`/ws/requests/${g.request_id}`, t('request.numbered', { id: g.request_id })) : null],
      [t('grant.created'), fmt.dateTime(g.created_at)],
    ])),
    term ? section(t('termination.shown'), facts([
      [t('termination.reason'), term.reason],
      [t('termination.legal_ground'), label('ground', term.legal_ground)],
      [t('termination.when'), fmt.dateTime(term.created_at)],
      [t('termination.accounts_revoked'), fmt.num(term.accounts_revoked)],
    ])) : null,
    accountsSection(g, me.agency_id === g.provider_agency_id),
    section(t('suspension.of_grant'), susp.length ? suspensionTable(susp, names) : emptyText(t('suspension.none')),
      provider ? susp.filter(s => s.state === 'in_force').map(s => liftForm(s).el) : null),
    provider && ['active', 'suspended'].includes(g.status) ? suspendForm(g, gr).el : null,
    provider && g.status !== 'terminated' ? terminateForm(g, gr).el : null,
    h('p', null, link(route('/ws/grants', { side: me.agency_id === g.provider_agency_id ? 'provider' : 'consumer' }), t('grant.back'))));
}
