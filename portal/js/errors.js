// API errors in the user's language. The server's messages are English;
// the portal shows its own text for the error code (or HTTP status) and,
// for a 422, one text per field the server named in `details`.

import { t, tOr, lang } from './i18n.js';

// The server's problem sentence -> a kind the texts know.
const PROBLEMS = [
  [/^is required|^must state a reason|^must not be empty|^must not be null|is required (to|for|when)/, 'required'],
  [/^unknown field/, 'unknown'],
  [/^must be a date/, 'date'],
  [/RFC 3339|date-time|datetime/, 'datetime'],
  [/^must be an integer|^must be a number/, 'integer'],
  [/at most \d+|longer than|too long/, 'too_long'],
  [/^must be one of/, 'choice'],
  [/must not be in the future/, 'future'],
  [/must be in the future|must not be in the past/, 'past'],
  [/must be after starts_at/, 'order'],
  [/wider than|later than the end|earlier than the start|not requested/, 'wider'],
  [/^no such/, 'not_found'],
];

export function problemText(problem) {
  const p = String(problem || '');
  for (const [re, kind] of PROBLEMS) {
    if (re.test(p)) {
      const text = t(`problem.${kind}`);
      // Kinds that carry specifics keep the server's own words in English.
      return lang() === 'en' && !['required', 'unknown'].includes(kind)
        ? `${text} (${p})` : text;
    }
  }
  return lang() === 'en' && p ? `${t('problem.invalid')} (${p})` : t('problem.invalid');
}

// One sentence for an error as a whole.
export function errorText(err) {
  if (!err || err.status === undefined) return t('error.unexpected');
  if (err.status === 0) return t('error.network');
  if (err.code) {
    const byCode = tOr(`error.${err.code}`, null);
    if (byCode) return byCode;
  }
  return tOr(`error.status.${err.status}`, t('error.unexpected'));
}
