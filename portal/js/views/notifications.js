// The agency's notification feed (R9.2), newest first; each notice links
// to the record it is about.

import { h, link, replace } from '../dom.js';
import { t, tOr } from '../i18n.js';
import { get, post } from '../api.js';
import * as fmt from '../format.js';
import { session } from '../session.js';
import { announce } from '../live.js';
import { page, pager, route, emptyText, errorBox } from './common.js';

const ROUTE_OF = {
  sharing_request: id => `/ws/requests/${id}`,
  grant: id => `/ws/grants/${id}`,
  suspension: id => `/ws/suspensions/${id}`,
  dispute: id => `/ws/disputes/${id}`,
  dataset: id => `/datasets/${id}`,
};

function payloadOf(n) {
  const p = n.payload ?? n.payload_json;
  if (typeof p === 'string') { try { return JSON.parse(p); } catch (e) { return null; } }
  return p || null;
}

// Where a notice leads: its entity's page, else one its payload names.
export function noticeRoute(n) {
  if (ROUTE_OF[n.entity]) return ROUTE_OF[n.entity](n.entity_id);
  const p = payloadOf(n) || {};
  if (p.grant_id) return ROUTE_OF.grant(p.grant_id);
  if (p.dispute_id) return ROUTE_OF.dispute(p.dispute_id);
  return null;
}

function noticeItem(n) {
  const text = tOr(`notice.${n.kind}`, n.kind, { id: n.entity_id });
  const to = noticeRoute(n);
  const li = h('li', { class: `notice-item ${n.read_at ? 'read' : 'unread'}` });
  const markBtn = n.read_at ? null : h('button', { type: 'button', class: 'btn small' }, t('notice.mark_read'));
  const markRead = () => post(`notifications/${n.id}/read`).then(() => {
    li.classList.replace('unread', 'read');
    markBtn?.remove();
    announce(t('notice.marked'));
  }).catch(e => li.append(errorBox(e)));
  if (markBtn) markBtn.addEventListener('click', markRead);
  const title = to ? link(to, text) : h('span', null, text);
  if (to && !n.read_at) title.addEventListener('click', () => { post(`notifications/${n.id}/read`).catch(() => {}); });
  replace(li,
    h('p', { class: 'notice-title' }, n.read_at ? null : h('span', { class: 'badge unread-badge' }, t('notice.new')), ' ', title),
    h('p', { class: 'meta' }, h('time', { datetime: n.created_at }, fmt.dateTime(n.created_at)),
      ' · ', tOr(`entity.${n.entity}`, n.entity || ''), n.entity_id ? ` #${n.entity_id}` : ''),
    markBtn);
  return li;
}

export async function notifications(params, query) {
  const unread = query.get('unread') === '1';
  const res = await get('notifications', { limit: 30, unread: unread ? 'true' : null, cursor: query.get('cursor') });
  const me = session().me;
  return page(t('notice.title'),
    h('p', { class: 'lead' }, t('ws.welcome', { name: me.name, agency: me.agency_name })),
    h('p', null, unread ? link('/ws', t('notice.show_all')) : link(route('/ws', { unread: '1' }), t('notice.only_unread'))),
    res.items.length ? h('ul', { class: 'notices', id: 'notices' }, res.items.map(noticeItem)) : emptyText(t('notice.none')),
    pager(`notices:${unread}`, query, res.next_cursor, p => route('/ws', { unread: unread ? '1' : '', ...p })));
}
