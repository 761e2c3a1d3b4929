// The officer's session: the access token and who it belongs to, kept in
// this tab's sessionStorage (gone when the tab closes, never a cookie, so
// no other origin's script nor any request the browser sends by itself
// carries it). Signing out, or the token expiring, forgets it.

const KEY = 'ds.session';
let state = null;

function load() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (s && s.token && s.expires > Date.now()) return s;
  } catch (e) { /* unreadable: treat as signed out */ }
  return null;
}

state = load();

export function session() {
  if (state && state.expires <= Date.now()) forget();
  return state;
}

export function token() {
  const s = session();
  return s ? s.token : null;
}

export function me() {
  const s = session();
  return s ? s.me : null;
}

export function isDic() {
  const m = me();
  return !!(m && m.is_dic);
}

export function remember(tok, expiresIn, identity) {
  // Stop using the token a little before the server would refuse it.
  const ms = Math.max(0, (Number(expiresIn) || 900) - 15) * 1000;
  state = { token: tok, expires: Date.now() + ms, me: identity };
  try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* memory only */ }
}

export function forget() {
  state = null;
  try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing kept */ }
}
