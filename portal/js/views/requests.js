// Sharing requests (R4; Art. 13, 16.1.đ): those the agency filed
// (consumer) and received (provider); filing one; approving with a term
// and fields, refusing with a reason; a dispute from a refusal in one click.

import { h, link, facts, table, replace } from '../dom.js';
import { t, label } from '../i18n.js';
import { get, post } from '../api.js';
import { session } from '../session.js';
import { buildForm } from '../forms.js';
import { go } from '../app.js';
import { announce } from '../live.js';
import * as fmt from '../format.js';
import { page, section, badge, pager, route, tabs, agencyNames, agencyLabel, datasetLink, errorBox } from './common.js';
import { fileDispute } from './disputes.js';

const STATUSES = ['submitted', 'approved', 'refused', 'withdrawn'];

export async function list(params, query) {
  const side = query.get('side') === 'provider' ? 'provider' : 'consumer';
  const status = STATUSES.includes(query.get('status')) ? query.get('status') : '';
  const [res, names] = await Promise.all([
    get('sharing-requests', { side, status, limit: 25, cursor: query.get('cursor') }),
    agencyNames(),
  ]);
  const other = side === 'provider' ? 'consumer_agency_id' : 'provider_agency_id';
  const filter = h('nav', { class: 'chips', 'aria-label': t('request.filter_status') },
    ['', ...STATUSES].map(s => link(route('/ws/requests', { side, status: s }), s ? label('status', s) : t('common.all'),
      { class: 'chip', 'aria-current': s === status ? 'true' : null })));
  return page(t('request.title'),
    tabs([['consumer', route('/ws/requests', { side: 'consumer' }), t('request.filed')],
      ['provider', route('/ws/requests', { side: 'provider' }), t('request.received')]], side),
    filter,
    table([
      { label: t('request.number'), value: r => link(`/ws/requests/${r.id}`, t('request.numbered', { id: r.id })) },
      { label: t('request.dataset'), value: r => datasetLink(r.dataset_id) },
      { label: side === 'provider' ? t('request.consumer') : t('request.provider'), value: r => agencyLabel(names, r[other]) },
      { label: t('request.status'), value: r => [badge('status', r.status), r.overdue ? [' ', badge('flag', 'overdue')] : null] },
      { label: t('request.due_at'), value: r => fmt.dateTime(r.due_at) },
      { label: t('request.filed_at'), value: r => fmt.dateTime(r.created_at) },
    ], res.items, { caption: side === 'provider' ? t('request.received') : t('request.filed'), empty: t('request.none') }),
    pager(`requests:${side}:${status}`, query, res.next_cursor, p => route('/ws/requests', { side, status, ...p })),
    h('p', null, link('/search', t('request.how_to_new'))));
}

// --------------------------------------------------------------- filing

function termFields(fieldNames, prefill = {}) {
  return [
    { name: 'fields', label: t('request.fields'), type: 'checkboxes', required: true,
      options: fieldNames.map(n => ({ value: n, label: n })), value: prefill.fields || fieldNames },
    { name: 'term', label: t('request.term'), type: 'radio', required: true,
      options: [{ value: 'fixed', label: label('term', 'fixed') }, { value: 'indefinite', label: label('term', 'indefinite') }],
      value: prefill.term || 'fixed' },
    { name: 'starts_at', label: t('request.starts_at'), type: 'date', hint: t('request.starts_hint'),
      value: prefill.starts || '', toApi: fmt.dayStartUtc },
    { name: 'ends_at', label: t('request.ends_at'), type: 'date', hint: t('request.ends_hint'),
      value: prefill.ends || '', toApi: (v, vals) => (vals.term === 'indefinite' ? undefined : fmt.dayEndUtc(v)) },
  ];
}

export async function create(params, query) {
  const id = Number(query.get('dataset_id'));
  if (!id) {
    return page(t('request.new'), h('p', null, t('request.pick_dataset'), ' ', link('/search', t('nav.search'))));
  }
  const [d, svc] = await Promise.all([get(`datasets/${id}`),
    get('services', { dataset_id: id, status: 'active' }).catch(() => ({ items: [] }))]);
  const names = (d.fields || []).map(f => f.name);
  const form = buildForm({
    fields: [
      ...(svc.items.length ? [{ name: 'service_id', label: t('request.service'), type: 'select',
        options: [{ value: '', label: t('request.no_service') }, ...svc.items.map(s => ({ value: s.id, label: s.name }))],
        toApi: v => (v ? Number(v) : undefined) }] : []),
      { name: 'purpose', label: t('request.purpose'), type: 'textarea', required: true },
      { name: 'legal_basis', label: t('request.legal_basis'), required: true, hint: t('request.legal_basis_hint') },
      ...termFields(names),
      { name: 'consent_reference', label: t('request.consent'), hint: t('request.consent_hint') },
    ],
    submit: t('request.submit'),
    onSubmit: async v => {
      const r = await post('sharing-requests', { dataset_id: id, ...v });
      announce(t('request.filed_ok', { id: r.id }));
      go(`/ws/requests/${r.id}`, { done: 'filed' });
    },
  });
  return page(t('request.new'),
    h('p', { class: 'lead' }, t('request.new_lead', { title: d.title, agency: d.agency_name })),
    form.el);
}

// ----------------------------------------------------------------- one

function approveForm(r) {
  const prefill = { fields: r.fields, term: r.term, starts: fmt.toDayInput(r.starts_at), ends: fmt.toDayInput(r.ends_at) };
  const fields = termFields(r.fields, prefill);
  // What the officer leaves as requested is not sent: the API grants it
  // as requested, to the second.
  const same = (v, p) => v === p;
  fields[0].toApi = v => (v.length === r.fields.length ? undefined : v);
  fields[0].keepEmpty = true;
  fields[1].toApi = v => (same(v, r.term) ? undefined : v);
  fields[2].toApi = v => (same(v, prefill.starts) ? undefined : fmt.dayStartUtc(v));
  fields[3].toApi = (v, vals) => ((vals.term || r.term) === 'indefinite' || same(v, prefill.ends) ? undefined : fmt.dayEndUtc(v));
  return buildForm({
    cls: 'approve', title: t('request.approve_title'), intro: t('request.approve_intro'),
    fields: [...fields, { name: 'note', label: t('request.note'), type: 'textarea', rows: 2 }],
    submit: t('request.approve'),
    onSubmit: async v => {
      const res = await post(`sharing-requests/${r.id}/approve`, v);
      announce(t('request.approved_ok'));
      go(`/ws/requests/${r.id}`, { done: 'approved', grant: res.grant?.id });
    },
  });
}

function refuseForm(r) {
  return buildForm({
    cls: 'refuse', title: t('request.refuse_title'), danger: true,
    fields: [{ name: 'reason', label: t('request.reason'), type: 'textarea', required: true, hint: t('request.reason_hint') }],
    submit: t('request.refuse'),
    onSubmit: async v => {
      await post(`sharing-requests/${r.id}/refuse`, v);
      announce(t('request.refused_ok'));
      go(`/ws/requests/${r.id}`, { done: 'refused' });
    },
  });
}

// The dispute call on a refusal. The API hands it to the provider in the
// refusal's answer; the consumer reads the request later, so the portal
// composes the same body from the refused request.
export function refusalDispute(r) {
  return {
    category: 'refusal',
    subject: t('dispute.refusal_subject', { id: r.id }),
    description: r.refusal_reason || t('dispute.refusal_subject', { id: r.id }),
    agency_id: r.provider_agency_id,
    object_type: 'sharing_request',
    object_id: r.id,
  };
}

export async function show({ id }, query) {
  const [r, names] = await Promise.all([get(`sharing-requests/${id}`), agencyNames()]);
  const me = session().me;
  const provider = me.agency_id === r.provider_agency_id;
  const consumer = me.agency_id === r.consumer_agency_id;
  const actions = [];
  if (provider && r.status === 'submitted') {
    actions.push(h('div', { class: 'decide' }, approveForm(r).el, refuseForm(r).el));
  }
  if (consumer && r.status === 'submitted') {
    const b = h('button', { type: 'button', class: 'btn' }, t('request.withdraw'));
    const out = h('div');
    b.addEventListener('click', () => post(`sharing-requests/${r.id}/withdraw`)
      .then(() => go(`/ws/requests/${r.id}`, { done: 'withdrawn' })).catch(e => replace(out, errorBox(e))));
    actions.push(section(t('request.withdraw_title'), b, out));
  }
  if (consumer && r.status === 'refused') {
    actions.push(section(t('request.dispute_title'), h('p', null, t('request.dispute_about')),
      fileDispute(refusalDispute(r), t('request.dispute_button'))));
  }
  const done = query.get('done');
  return page(t('request.numbered', { id: r.id }),
    done ? h('p', { class: 'notice ok', role: 'status' }, t(`request.done.${done}`)) : null,
    h('p', { class: 'meta' }, badge('status', r.status), r.overdue ? [' ', badge('flag', 'overdue')] : null),
    section(t('request.details'), facts([
      [t('request.dataset'), datasetLink(r.dataset_id)],
      [t('request.consumer'), agencyLabel(names, r.consumer_agency_id)],
      [t('request.provider'), agencyLabel(names, r.provider_agency_id)],
      [t('request.purpose'), r.purpose],
      [t('request.legal_basis'), r.legal_basis],
      [t('request.fields'), (r.fields || []).join(', ')],
      [t('request.term'), label('term', r.term)],
      [t('request.starts_at'), fmt.dateTime(r.starts_at)],
      [t('request.ends_at'), fmt.dateTime(r.ends_at)],
      [t('request.consent'), r.consent_reference],
      [t('request.filed_at'), fmt.dateTime(r.created_at)],
      [t('request.due_at'), fmt.dateTime(r.due_at)],
      [t('request.decided_at'), fmt.dateTime(r.decided_at)],
      [t('request.note'), r.decision_note],
      [t('request.reason'), r.refusal_reason ? h('strong', { id: 'refusal-reason' }, r.refusal_reason) : null],
      [t('request.grant'), r.grant_id ? link(`/ws/grants/${r.grant_id}`, t('grant.numbered', { id: r.grant_id })) : null],
    ])),
    ...actions,
    h('p', null, link(route('/ws/requests', { side: provider ? 'provider' : 'consumer' }), t('request.back'))));
}
