// Dispute tickets (R8; Art. 18): filing one (also in one click from a
// refused request or a suspension, with the API's dispute call), reading
// its history and comments, commenting, moving it along, escalating.

import { h, link, facts, table, replace } from '../dom.js';
import { t, label } from '../i18n.js';
import { get, post, all } from '../api.js';
import { session } from '../session.js';
import { buildForm } from '../forms.js';
import { go } from '../app.js';
import { announce } from '../live.js';
import { errorText } from '../errors.js';
import * as fmt from '../format.js';
import { page, section, badge, pager, route, agencyNames, agencyLabel, errorBox, emptyText } from './common.js';

const STATES = ['open', 'acknowledged', 'in_progress', 'resolved', 'closed', 'rejected'];
const CATEGORIES = ['data', 'technical', 'standards', 'refusal', 'suspension', 'access', 'other'];
const OBJECT_ROUTE = { sharing_request: '/ws/requests/', grant: '/ws/grants/', suspension: '/ws/suspensions/', dataset: '/datasets/' };

// One button that files the dispute `body` (the API's dispute call) and
// opens the new ticket.
export function fileDispute(body, text) {
  const out = h('div', { class: 'inline-alert', role: 'alert', hidden: true });
  const b = h('button', { type: 'button', class: 'btn primary', id: 'file-dispute' }, text);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const d = await post('disputes', body);
      announce(t('dispute.filed_ok', { id: d.id }));
      go(`/ws/disputes/${d.id}`, { done: 'filed' });
    } catch (e) {
      out.hidden = false;
      replace(out, errorText(e), e.details?.length ? `: ${e.details.map(x => x.field).join(', ')}` : '');
      b.disabled = false;
    }
  });
  return h('div', { class: 'one-click' }, b, out);
}

export async function list(params, query) {
  const state = STATES.includes(query.get('state')) ? query.get('state') : '';
  const [res, names] = await Promise.all([
    get('disputes', { state, limit: 25, cursor: query.get('cursor') }), agencyNames()]);
  return page(t('dispute.title'),
    h('p', null, link('/ws/disputes/new', t('dispute.new'), { class: 'btn primary' })),
    h('nav', { class: 'chips', 'aria-label': t('dispute.filter_state') },
      ['', ...STATES].map(s => link(route('/ws/disputes', { state: s }), s ? label('dstate', s) : t('common.all'),
        { class: 'chip', 'aria-current': s === state ? 'true' : null }))),
    table([
      { label: t('dispute.number'), value: d => link(`/ws/disputes/${d.id}`, t('dispute.numbered', { id: d.id })) },
      { label: t('dispute.subject'), value: d => d.subject },
      { label: t('dispute.category'), value: d => label('category', d.category) },
      { label: t('dispute.state'), value: d => [badge('dstate', d.state), d.overdue ? [' ', badge('flag', 'overdue')] : null] },
      { label: t('dispute.filer'), value: d => agencyLabel(names, d.filer_agency_id) },
      { label: t('dispute.assignee'), value: d => agencyLabel(names, d.assignee_agency_id) },
      { label: t('dispute.updated'), value: d => fmt.dateTime(d.updated_at) },
    ], res.items, { caption: t('dispute.title'), empty: t('dispute.none') }),
    pager(`disputes:${state}`, query, res.next_cursor, p => route('/ws/disputes', { state, ...p })));
}

export async function create(params, query) {
  const names = await agencyNames();
  const me = session().me;
  const agencyOptions = [{ value: '', label: t('dispute.agency_none') },
    ...[...names.entries()].filter(([id]) => id !== me.agency_id)
      .sort((a, b) => a[1].localeCompare(b[1], 'vi')).map(([id, name]) => ({ value: id, label: name }))];
  const form = buildForm({
    fields: [
      { name: 'category', label: t('dispute.category'), type: 'select', required: true, value: query.get('category') || 'data',
        options: CATEGORIES.map(c => ({ value: c, label: label('category', c) })), hint: t('dispute.category_hint') },
      { name: 'subject', label: t('dispute.subject'), required: true, value: query.get('subject') || '' },
      { name: 'description', label: t('dispute.description'), type: 'textarea', required: true, rows: 6 },
      { name: 'agency_id', label: t('dispute.agency'), type: 'select', options: agencyOptions, value: query.get('agency_id') || '',
        toApi: v => (v ? Number(v) : undefined), hint: t('dispute.agency_hint') },
      { name: 'object_type', label: t('dispute.object_type'), type: 'select', value: query.get('object_type') || '',
        options: [{ value: '', label: t('dispute.object_none') }, ...Object.keys(OBJECT_ROUTE).map(o => ({ value: o, label: label('entity', o) }))] },
      { name: 'object_id', label: t('dispute.object_id'), type: 'number', value: query.get('object_id') || '',
        toApi: v => (v ? Number(v) : undefined) },
    ],
    submit: t('dispute.submit'),
    onSubmit: async v => {
      const d = await post('disputes', v);
      announce(t('dispute.filed_ok', { id: d.id }));
      go(`/ws/disputes/${d.id}`, { done: 'filed' });
    },
  });
  return page(t('dispute.new'), h('p', { class: 'lead' }, t('dispute.new_lead')), form.el);
}

// The steps the caller's agency may take from the ticket's state.
function steps(d, me) {
  const out = [];
  const assignee = me.agency_id === d.assignee_agency_id;
  const filer = me.agency_id === d.filer_agency_id;
  const next = { open: 'acknowledged', acknowledged: 'in_progress', in_progress: 'resolved' }[d.state];
  if (assignee && next) out.push(next);
  if (assignee && ['open', 'acknowledged', 'in_progress'].includes(d.state)) out.push('rejected');
  if ((assignee || filer) && d.state === 'resolved') out.push('closed');
  if (filer && d.state === 'resolved' && (d.reopen_count || 0) < 1) out.push('in_progress');
  return out;
}

function transitionForm(d, me) {
  const options = steps(d, me);
  if (!options.length) return null;
  return buildForm({
    cls: 'transition', title: t('dispute.move_title'),
    fields: [
      { name: 'to', label: t('dispute.move_to'), type: 'radio', required: true, value: options[0],
        options: options.map(s => ({ value: s, label: d.state === 'resolved' && s === 'in_progress' ? t('dispute.reopen') : t(`dispute.to.${s}`) })) },
      { name: 'reason', label: t('dispute.reason'), type: 'textarea', rows: 3, hint: t('dispute.reason_hint') },
    ],
    submit: t('dispute.move'),
    onSubmit: async v => {
      const r = await post(`disputes/${d.id}/transition`, v);
      announce(t('dispute.moved_ok', { state: label('dstate', r.state) }));
      go(`/ws/disputes/${d.id}`, { done: 'moved' });
    },
  });
}

function escalateForm(d, me) {
  const party = me.agency_id === d.filer_agency_id || me.agency_id === d.assignee_agency_id;
  if (!party || me.is_dic || ['closed', 'rejected'].includes(d.state) || d.assignment_rule === 'escalated') return null;
  return buildForm({
    cls: 'escalate', title: t('dispute.escalate_title'), intro: t('dispute.escalate_intro'),
    fields: [{ name: 'reason', label: t('dispute.escalate_reason'), type: 'textarea', rows: 2, required: true }],
    submit: t('dispute.escalate'),
    onSubmit: async v => {
      await post(`disputes/${d.id}/escalate`, v);
      announce(t('dispute.escalated_ok'));
      go(`/ws/disputes/${d.id}`, { done: 'escalated' });
    },
  });
}

function commentsSection(d, names) {
  const listEl = h('div', null, h('p', { class: 'loading' }, t('common.loading')));
  const load = () => all(`disputes/${d.id}/comments`).then(items => replace(listEl, items.length
    ? h('ol', { class: 'comments' }, items.map(c => h('li', null,
      h('p', { class: 'meta' }, agencyLabel(names, c.author_agency_id), ' · ', h('time', { datetime: c.created_at }, fmt.dateTime(c.created_at))),
      h('p', { class: 'body' }, c.body))))
    : emptyText(t('dispute.no_comments')))).catch(e => replace(listEl, errorBox(e)));
  load();
  const closed = ['closed', 'rejected'].includes(d.state);
  const form = closed ? null : buildForm({
    cls: 'comment',
    fields: [{ name: 'body', label: t('dispute.comment'), type: 'textarea', rows: 3, required: true }],
    submit: t('dispute.comment_submit'),
    onSubmit: async (v, el) => {
      await post(`disputes/${d.id}/comments`, v);
      el.reset();
      announce(t('dispute.commented_ok'));
      await load();
    },
  });
  return section(t('dispute.comments'), listEl, form ? form.el : null);
}

export async function show({ id }, query) {
  const [d, names] = await Promise.all([get(`disputes/${id}`), agencyNames()]);
  const me = session().me;
  const objRoute = d.object_type && OBJECT_ROUTE[d.object_type];
  const done = query.get('done');
  return page(t('dispute.numbered', { id: d.id }),
    done ? h('p', { class: 'notice ok', role: 'status' }, t(`dispute.done.${done}`)) : null,
    h('p', { class: 'meta' }, badge('dstate', d.state), ' ', badge('category', d.category), d.overdue ? [' ', badge('flag', 'overdue')] : null),
    section(t('dispute.details'), facts([
      [t('dispute.subject'), d.subject],
      [t('dispute.description'), h('span', { class: 'pre' }, d.description)],
      [t('dispute.state'), h('span', { id: 'dispute-state', 'data-state': d.state }, label('dstate', d.state))],
      [t('dispute.filer'), agencyLabel(names, d.filer_agency_id)],
      [t('dispute.agency'), agencyLabel(names, d.agency_id)],
      [t('dispute.assignee'), agencyLabel(names, d.assignee_agency_id)],
      [t('dispute.rule'), label('rule', d.assignment_rule)],
      [t('dispute.object'), objRoute ? link(`${objRoute}${d.object_id}`, `${label('entity', d.object_type)} #${d.object_id}`) : null],
      [t('dispute.ack_due'), fmt.dateTime(d.ack_due_at)],
      [t('dispute.resolve_due'), fmt.dateTime(d.resolve_due_at)],
      [t('dispute.resolution'), d.resolution],
      [t('dispute.rejection_reason'), d.rejection_reason],
      [t('dispute.filed_at'), fmt.dateTime(d.created_at)],
    ])),
    transitionForm(d, me)?.el,
    commentsSection(d, names),
    section(t('dispute.history'), table([
      { label: t('dispute.when'), value: e => fmt.dateTime(e.created_at) },
      { label: t('dispute.action'), value: e => label('daction', e.action) },
      { label: t('dispute.state'), value: e => label('dstate', e.to_state) },
      { label: t('dispute.by'), value: e => agencyLabel(names, e.actor_agency_id) },
      { label: t('dispute.reason'), value: e => e.reason || '' },
    ], d.events || [], { caption: t('dispute.history') })),
    escalateForm(d, me)?.el,
    h('p', null, link('/ws/disputes', t('dispute.back'))));
}
