// Signing in with an officer account's client id and secret (OAuth 2.0
// client credentials): the token and the identity go to session.js.

import { h, link } from '../dom.js';
import { t } from '../i18n.js';
import { signIn, get } from '../api.js';
import { remember, forget, session } from '../session.js';
import { buildForm } from '../forms.js';
import { go } from '../app.js';
import { announce } from '../live.js';
import { page } from './common.js';

// Only routes inside the portal are followed after signing in.
function nextRoute(query) {
  const n = query.get('next') || '/ws';
  return /^\/[\w\-/?=&%.]*$/.test(n) && !n.startsWith('//') ? n : '/ws';
}

export async function signin(params, query) {
  if (session()) {
    return page(t('auth.title'), h('p', null, t('auth.already', { name: session().me.agency_name }), ' ',
      link('/ws', t('nav.workspace'))));
  }
  const form = buildForm({
    cls: 'narrow',
    fields: [
      { name: 'client_id', label: t('auth.client_id'), autocomplete: 'username', required: true },
      { name: 'client_secret', label: t('auth.client_secret'), type: 'password', autocomplete: 'current-password', required: true },
    ],
    submit: t('auth.signin'),
    onSubmit: async v => {
      const tok = await signIn(v.client_id || '', v.client_secret || '');
      remember(tok.access_token, tok.expires_in, null);
      let me;
      try {
        me = await get('auth/me');
      } catch (e) {
        forget();
        throw e;
      }
      remember(tok.access_token, tok.expires_in, me);
      announce(t('auth.signed_in', { name: me.agency_name }));
      const [path, qs] = nextRoute(query).split('?');
      go(path, Object.fromEntries(new URLSearchParams(qs || '')));
    },
  });
  return page(t('auth.title'),
    query.get('expired') ? h('p', { class: 'notice', role: 'status' }, t('auth.expired')) : null,
    h('p', { class: 'lead' }, t('auth.lead')), form.el,
    h('p', { class: 'hint' }, t('auth.storage_note')));
}
