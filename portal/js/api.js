// The one way the portal talks to the server: the public API under
// /api/v1, JSON in and out, the officer's token when signed in.

import { token, forget } from './session.js';
import { lang } from './i18n.js';

export const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || null;
    this.details = Array.isArray(e.details) ? e.details : [];
    this.requestId = e.request_id || null;
  }
}

let onExpired = () => {};
// The app's reaction when the server no longer accepts our token.
export function whenExpired(fn) { onExpired = fn; }

function url(path, query) {
  const u = new URL(path.startsWith('/') ? path : `${BASE}/${path}`, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

// request(method, path, {body, query, auth, accept}) -> parsed JSON, or
// the Response itself when accept is not JSON. Throws ApiError.
export async function request(method, path, opts = {}) {
  const headers = { 'Accept-Language': lang() === 'en' ? 'en' : 'vi, en;q=0.5' };
  const tok = opts.auth === false ? null : token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  headers.Accept = opts.accept || 'application/json';
  let r;
  try {
    // No cookies, ever: the token travels in the Authorization header. And
    // without credentials the browser does not answer the token endpoint's
    // 401 "WWW-Authenticate: Basic" with its own login dialog (Fetch
    // standard: it prompts only when credentials are included).
    r = await fetch(url(path, opts.query), { method, headers, body, cache: 'no-store',
      credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network', message: String(e) } });
  }
  if (r.status === 401 && tok) {
    forget();
    onExpired();
  }
  if (!r.ok) {
    let parsed = null;
    try { parsed = await r.json(); } catch (e) { /* not JSON (nginx page) */ }
    throw new ApiError(r.status, parsed);
  }
  if (opts.accept && opts.accept !== 'application/json') return r;
  const text = await r.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, query, opts = {}) => request('GET', path, { ...opts, query });
export const post = (path, body, opts = {}) => request('POST', path, { ...opts, body });

// Every item of a list, following next_cursor (at most `max` items).
export async function all(path, query = {}, max = 1000) {
  const out = [];
  let cursor = null;
  do {
    const page = await get(path, { ...query, limit: 200, cursor });
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

// The token endpoint (OAuth 2.0 client credentials).
export function signIn(clientId, clientSecret) {
  return request('POST', 'auth/token', {
    auth: false, body: { client_id: clientId, client_secret: clientSecret } });
}

export function apiUrl(path, query) { return url(path, query); }
