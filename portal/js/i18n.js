// Texts: one JSON file per language in ../i18n/, Vietnamese by default.
// t('key', {name: value}) fills {name} placeholders; a missing key shows
// itself, so a gap is visible rather than blank.

export const LANGS = ['vi', 'en'];
const STORE = 'ds.lang';
let texts = {};
let current = 'vi';

export async function loadLanguage(lang) {
  if (!LANGS.includes(lang)) lang = 'vi';
  const r = await fetch(`i18n/${lang}.json`, { cache: 'no-cache' });
  texts = await r.json();
  current = lang;
  document.documentElement.lang = lang;
  try { localStorage.setItem(STORE, lang); } catch (e) { /* private mode */ }
}

export function savedLanguage() {
  try { return localStorage.getItem(STORE) || 'vi'; } catch (e) { return 'vi'; }
}

export function lang() { return current; }

export function t(key, vars) {
  let s = Object.prototype.hasOwnProperty.call(texts, key) ? texts[key] : key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// t() for a key that may be missing: the fallback instead of the key.
export function tOr(key, fallback, vars) {
  return Object.prototype.hasOwnProperty.call(texts, key) ? t(key, vars) : fallback;
}

// The label of a server code (status, classification, ...): the text
// "<group>.<code>" when there is one, else the code itself.
export function label(group, code) {
  if (code === null || code === undefined) return '';
  return tOr(`${group}.${code}`, String(code));
}
