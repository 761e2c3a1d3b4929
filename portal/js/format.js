// Dates, numbers and sizes in the user's language. Times are shown on the
// province's clock (UTC+7), whatever the machine's own time zone is.

import { lang } from './i18n.js';

const TZ = 'Asia/Ho_Chi_Minh';
const locale = () => (lang() === 'en' ? 'en-GB' : 'vi-VN');

export function dateTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  // Day first, then the time, in both languages: 28/11/2026 18:28.
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: TZ,
    day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit',
    hourCycle: 'h23' }).formatToParts(d).map(p => [p.type, p.value]));
  return `${parts.day}/${parts.month}/${parts.year} ${parts.hour}:${parts.minute}`;
}

export function date(s) {
  if (!s) return '';
  // A plain date (YYYY-MM-DD) is a calendar day, not an instant.
  const d = /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T12:00:00Z`) : new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  return new Intl.DateTimeFormat(locale(), { timeZone: TZ, day: '2-digit', month: '2-digit',
    year: 'numeric' }).format(d);
}

export function num(n) {
  if (n === null || n === undefined || n === '') return '';
  return typeof n === 'number' ? new Intl.NumberFormat(locale()).format(n) : String(n);
}

export function bytes(n) {
  if (typeof n !== 'number') return '';
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(v)} ${units[i]}`;
}

// "2026-12-01" (an <input type=date>) -> the start of that day in UTC+7,
// as RFC 3339 UTC.
export function dayStartUtc(day) {
  if (!day) return undefined;
  return new Date(`${day}T00:00:00+07:00`).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// An <input type=datetime-local> value (the browser's own clock) -> UTC.
export function localToUtc(v) {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? v : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// RFC 3339 -> "YYYY-MM-DD" in UTC+7 (to prefill an <input type=date>).
export function toDayInput(s) {
  if (!s) return '';
  const d = new Date(new Date(s).getTime() + 7 * 3600 * 1000);
  return d.toISOString().slice(0, 10);
}

// now -> "YYYY-MM-DDTHH:MM" on the browser's clock (datetime-local).
export function nowLocalInput() {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

// "2027-11-30" -> the last second of that day in UTC+7, as RFC 3339 UTC.
export function dayEndUtc(day) {
  if (!day) return undefined;
  return new Date(`${day}T23:59:59+07:00`).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
