// Suspensions (tạm dừng kết nối; R7, Art. 16.1.g, 16.2.h): received (the
// agency is the consumer) and issued (provider); one with its terms; the
// provider's lift form; the consumer's dispute in one click.

import { h, link, facts, table } from '../dom.js';
import { t, label } from '../i18n.js';
import { get, post } from '../api.js';
import { session } from '../session.js';
import { buildForm } from '../forms.js';
import { go } from '../app.js';
import { announce } from '../live.js';
import * as fmt from '../format.js';
import { page, section, badge, pager, route, tabs, agencyNames, agencyLabel } from './common.js';
import { fileDispute } from './disputes.js';

export function suspensionTable(items, names) {
  return table([
    { label: t('suspension.number'), value: s => link(`/ws/suspensions/${s.id}`, t('suspension.numbered', { id: s.id })) },
    { label: t('suspension.grant'), value: s => link(`/ws/grants/${s.grant_id}`, t('grant.numbered', { id: s.grant_id })) },
    { label: t('grant.provider'), value: s => agencyLabel(names, s.provider_agency_id) },
    { label: t('grant.consumer'), value: s => agencyLabel(names, s.consumer_agency_id) },
    { label: t('suspension.state'), value: s => [badge('sstate', s.state), s.notice_late ? [' ', badge('flag', 'late')] : null] },
    { label: t('suspension.legal_ground'), value: s => label('ground', s.legal_ground) },
    { label: t('suspension.created'), value: s => fmt.dateTime(s.created_at) },
  ], items, { caption: t('suspension.title'), empty: t('suspension.none') });
}

export function liftForm(s) {
  return buildForm({
    cls: 'lift', title: t('suspension.lift_title', { id: s.id }),
    fields: [{ name: 'note', label: t('suspension.lift_note'), type: 'textarea', rows: 2, required: true }],
    submit: t('suspension.lift'),
    onSubmit: async v => {
      await post(`suspensions/${s.id}/lift`, v);
      announce(t('suspension.lifted_ok'));
      go(`/ws/suspensions/${s.id}`, { done: 'lifted' });
    },
  });
}

export async function list(params, query) {
  const side = query.get('side') === 'issued' ? 'issued' : 'received';
  const me = session().me;
  const names = await agencyNames();
  // The list has no "side" filter; agency_id means either side, so the
  // page keeps those where the agency is on the chosen one.
  const res = await get('suspensions', { agency_id: me.is_dic ? null : me.agency_id, limit: 100, cursor: query.get('cursor') });
  const key = side === 'issued' ? 'provider_agency_id' : 'consumer_agency_id';
  const items = me.is_dic && side === 'issued' ? res.items.filter(s => s.imposed_by === 'dic' || s[key] === me.agency_id)
    : res.items.filter(s => s[key] === me.agency_id);
  return page(t('suspension.title'),
    tabs([['received', route('/ws/suspensions', { side: 'received' }), t('suspension.received')],
      ['issued', route('/ws/suspensions', { side: 'issued' }), t('suspension.issued')]], side),
    h('p', { class: 'hint' }, t(side === 'issued' ? 'suspension.issued_hint' : 'suspension.received_hint')),
    suspensionTable(items, names),
    pager(`susp:${side}`, query, res.next_cursor, p => route('/ws/suspensions', { side, ...p })));
}

export async function show({ id }, query) {
  const [s, names] = await Promise.all([get(`suspensions/${id}`), agencyNames()]);
  const me = session().me;
  const provider = me.agency_id === s.provider_agency_id || me.is_dic;
  const consumer = me.agency_id === s.consumer_agency_id;
  const done = query.get('done');
  let dispute = null;
  if (consumer && s.dispute && s.dispute.body) {
    // The API's call leaves `description` to fill (to_fill): the terms
    // the consumer disputes say what it is about.
    const body = { ...s.dispute.body,
      description: t('dispute.suspension_description', { id: s.id, violation: s.violation, action: s.consumer_action }) };
    dispute = section(t('suspension.dispute_title'), h('p', null, t('suspension.dispute_about')),
      fileDispute(body, t('suspension.dispute_button')));
  }
  return page(t('suspension.numbered', { id: s.id }),
    done ? h('p', { class: 'notice ok', role: 'status' }, t(`suspension.done.${done}`)) : null,
    h('p', { class: 'meta' }, badge('sstate', s.state), ' ', t('suspension.grant_status'), ' ', badge('status', s.grant_status)),
    section(t('suspension.terms'), facts([
      [t('suspension.grant'), link(`/ws/grants/${s.grant_id}`, t('grant.numbered', { id: s.grant_id }))],
      [t('grant.provider'), agencyLabel(names, s.provider_agency_id)],
      [t('grant.consumer'), agencyLabel(names, s.consumer_agency_id)],
      [t('suspension.imposed_by'), label('imposed', s.imposed_by)],
      [t('suspension.scope'), label('scope', s.scope)],
      [t('suspension.violation'), h('span', { class: 'pre', id: 'violation' }, s.violation)],
      [t('suspension.legal_ground'), label('ground', s.legal_ground)],
      [t('suspension.determined_at'), fmt.dateTime(s.determined_at)],
      [t('suspension.handling_plan'), h('span', { class: 'pre' }, s.handling_plan)],
      [t('suspension.consumer_action'), h('span', { class: 'pre', id: 'consumer-action' }, s.consumer_action)],
      [t('suspension.notice_sent'), fmt.dateTime(s.notice_sent_at)],
      [t('suspension.notice_due'), fmt.dateTime(s.notice_due_at)],
      [t('suspension.notice_late'), s.notice_late ? t('common.yes') : t('common.no')],
      [t('suspension.lifted_at'), fmt.dateTime(s.lifted_at)],
      [t('suspension.lift_note'), s.lift_note],
    ])),
    provider && s.state === 'in_force' ? liftForm(s).el : null,
    dispute,
    h('p', null, link(route('/ws/suspensions', { side: consumer ? 'received' : 'issued' }), t('suspension.back'))));
}
