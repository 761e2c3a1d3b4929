// For the DIC (Sở TTTT): what is overdue across the province, and the
// reports (R9.3; Art. 19.4), as tables with a CSV download.

import { h, link, facts, table, replace, saveBlob } from '../dom.js';
import { t, tOr, label } from '../i18n.js';
import { get, all, request } from '../api.js';
import { isDic } from '../session.js';
import { buildForm } from '../forms.js';
import { go } from '../app.js';
import { announce } from '../live.js';
import * as fmt from '../format.js';
import { page, section, badge, route, agencyNames, agencyLabel, datasetLink, errorBox, emptyText } from './common.js';

function dicOnly(title) {
  return isDic() ? null : page(title, h('p', { class: 'notice' }, t('dic.only')));
}

// ---------------------------------------------------------------- CSV

function csvCell(v) {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows) {
  const cols = [...new Set(rows.flatMap(r => Object.keys(r)))];
  return [cols, ...rows.map(r => cols.map(c => r[c]))].map(line => line.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

function csvButton(name, rows) {
  const b = h('button', { type: 'button', class: 'btn small' }, t('dic.csv'));
  b.addEventListener('click', () => {
    // A byte order mark, so spreadsheet programs read UTF-8 Vietnamese.
    saveBlob(new Blob(['\ufeff', toCsv(rows)], { type: 'text/csv;charset=utf-8' }), `${name}.csv`);
    announce(t('dic.csv_saved'));
  });
  return b;
}

// ------------------------------------------------------------- overdue

function overdueLists(names) {
  const A = id => agencyLabel(names, id);
  return [
    ['requests', 'sharing-requests', { overdue: 'true' }, [
      { label: t('request.number'), value: r => link(`/ws/requests/${r.id}`, t('request.numbered', { id: r.id })) },
      { label: t('request.dataset'), value: r => datasetLink(r.dataset_id) },
      { label: t('request.provider'), value: r => A(r.provider_agency_id) },
      { label: t('request.consumer'), value: r => A(r.consumer_agency_id) },
      { label: t('request.due_at'), value: r => fmt.dateTime(r.due_at) }]],
    ['open_data', 'open-data/overdue', {}, [
      { label: t('dataset.title'), value: d => link(`/datasets/${d.id}`, d.title) },
      { label: t('dataset.agency'), value: d => d.agency_name || A(d.agency_id) },
      { label: t('dataset.update_due_at'), value: d => fmt.date(d.update_due_at) },
      { label: t('dic.days_overdue'), value: d => fmt.num(d.days_overdue) }]],
    ['assessments', 'assessments/overdue', {}, [
      { label: t('dataset.title'), value: a => link(`/datasets/${a.dataset_id}`, a.dataset_title) },
      { label: t('dataset.agency'), value: a => a.agency_name || A(a.agency_id) },
      { label: t('dic.remediation_due'), value: a => fmt.date(a.remediation_due) },
      { label: t('dic.days_overdue'), value: a => fmt.num(a.days_overdue) }]],
    ['disputes', 'disputes', { overdue: 'true' }, [
      { label: t('dispute.number'), value: d => link(`/ws/disputes/${d.id}`, t('dispute.numbered', { id: d.id })) },
      { label: t('dispute.subject'), value: d => d.subject },
      { label: t('dispute.state'), value: d => badge('dstate', d.state) },
      { label: t('dispute.assignee'), value: d => A(d.assignee_agency_id) },
      { label: t('dispute.resolve_due'), value: d => fmt.dateTime(d.resolve_due_at) }]],
    ['usage_reports', 'usage-reports', { overdue: 'true' }, [
      { label: t('dic.usage_report'), value: u => `#${u.id}` },
      { label: t('grant.number'), value: u => link(`/ws/grants/${u.grant_id}`, t('grant.numbered', { id: u.grant_id })) },
      { label: t('grant.consumer'), value: u => A(u.consumer_agency_id) },
      { label: t('dic.question'), value: u => u.question },
      { label: t('request.due_at'), value: u => fmt.dateTime(u.due_at) }]],
    ['late_notices', 'suspensions', { late_notice: 'true' }, [
      { label: t('suspension.number'), value: s => link(`/ws/suspensions/${s.id}`, t('suspension.numbered', { id: s.id })) },
      { label: t('grant.provider'), value: s => A(s.provider_agency_id) },
      { label: t('grant.consumer'), value: s => A(s.consumer_agency_id) },
      { label: t('suspension.notice_due'), value: s => fmt.dateTime(s.notice_due_at) },
      { label: t('suspension.notice_sent'), value: s => fmt.dateTime(s.notice_sent_at) }]],
  ];
}

export async function overdue() {
  const denied = dicOnly(t('dic.overdue_title'));
  if (denied) return denied;
  const names = await agencyNames();
  const sections = overdueLists(names).map(([key, path, query, cols]) => {
    const body = h('div', null, h('p', { class: 'loading' }, t('common.loading')));
    all(path, query, 1000).then(items => replace(body,
      items.length ? [h('p', { class: 'count-line' }, t('dic.count', { n: fmt.num(items.length) }), ' ', csvButton(`qua-han-${key}`, items)),
        table(cols, items, { caption: t(`dic.overdue.${key}`) })] : emptyText(t('dic.nothing_overdue'))))
      .catch(e => replace(body, errorBox(e)));
    return section(t(`dic.overdue.${key}`), body);
  });
  return page(t('dic.overdue_title'), h('p', { class: 'lead' }, t('dic.overdue_lead')), ...sections);
}

// ------------------------------------------------------------- reports

export async function reports() {
  const denied = dicOnly(t('dic.reports_title'));
  if (denied) return denied;
  let res;
  try {
    res = await get('reports');
  } catch (e) {
    return page(t('dic.reports_title'), errorBox(e));
  }
  return page(t('dic.reports_title'), h('p', { class: 'lead' }, t('dic.reports_lead')),
    h('ul', { class: 'report-list' }, res.items.map(r => h('li', { class: 'card' },
      h('h2', null, link(`/ws/reports/${r.name}`, tOr(`report.name.${r.name}`, r.name))),
      h('p', null, tOr(`report.about.${r.name}`, r.about || ''))))));
}

const HEAD = ['report', 'from', 'to', 'utc_offset_minutes', 'range_start', 'range_end', 'year', 'agency_id', 'generated_at'];

function keyLabel(k) {
  return tOr(`report.key.${k}`, k.replace(/_/g, ' '));
}

function cell(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return fmt.num(v);
  if (typeof v === 'object') return JSON.stringify(v);
  if (/^\d{4}-\d{2}-\d{2}T/.test(v)) return fmt.dateTime(v);
  return String(v);
}

const isScalar = v => v === null || typeof v !== 'object';

// A report's part as a table: an object of figures as two columns, a
// list of rows with one column per key, nested objects flattened one level.
function partTable(key, v) {
  const caption = keyLabel(key);
  if (Array.isArray(v)) {
    if (!v.length) return emptyText(t('report.no_rows'));
    const cols = [...new Set(v.flatMap(r => (isScalar(r) ? ['value'] : Object.keys(r))))];
    return table(cols.map(c => ({ label: keyLabel(c), value: r => cell(isScalar(r) ? r : r[c]),
      cls: typeof v[0]?.[c] === 'number' ? 'num' : null })), v, { caption });
  }
  const rows = [];
  for (const [k, x] of Object.entries(v)) {
    if (isScalar(x)) rows.push([keyLabel(k), x]);
    else if (!Array.isArray(x)) for (const [k2, y] of Object.entries(x)) rows.push([`${keyLabel(k)} — ${keyLabel(k2)}`, y]);
    else rows.push([keyLabel(k), x]);
  }
  return table([{ label: t('report.metric'), value: r => r[0] }, { label: t('report.value'), value: r => cell(r[1]), cls: 'num' }],
    rows, { caption });
}

function fileName(resp, fallback) {
  const cd = resp.headers.get('Content-Disposition') || '';
  const m = /filename="?([^";]+)"?/.exec(cd);
  return m ? m[1] : fallback;
}

export async function report({ name }, query) {
  const denied = dicOnly(t('dic.reports_title'));
  if (denied) return denied;
  const params = { from: query.get('from'), to: query.get('to'), agency_id: query.get('agency_id') };
  const names = await agencyNames();
  const form = buildForm({
    cls: 'report-range',
    fields: [
      { name: 'from', label: t('report.from'), type: 'date', value: params.from || '' },
      { name: 'to', label: t('report.to'), type: 'date', value: params.to || '' },
      { name: 'agency_id', label: t('report.agency'), type: 'select', value: params.agency_id || '',
        options: [{ value: '', label: t('report.all_agencies') }, ...[...names.entries()]
          .sort((a, b) => a[1].localeCompare(b[1], 'vi')).map(([id, n]) => ({ value: id, label: n }))] },
    ],
    submit: t('report.show'),
    onSubmit: async v => go(`/ws/reports/${name}`, v),
  });
  const title = tOr(`report.name.${name}`, name);
  let data;
  try {
    data = await get(`reports/${encodeURIComponent(name)}`, params);
  } catch (e) {
    // The range is the form's: show the error next to its fields.
    const p = page(title, form.el);
    form.showError(e);
    return p;
  }
  const csv = h('button', { type: 'button', class: 'btn', id: 'report-csv' }, t('report.csv'));
  const csvOut = h('div');
  csv.addEventListener('click', async () => {
    try {
      const r = await request('GET', `reports/${encodeURIComponent(name)}`, { query: { ...params, format: 'csv' }, accept: 'text/csv' });
      saveBlob(await r.blob(), fileName(r, `${name}.csv`));
      announce(t('dic.csv_saved'));
    } catch (e) {
      replace(csvOut, errorBox(e));
    }
  });
  const parts = Object.entries(data).filter(([k]) => !HEAD.includes(k));
  return page(title, form.el,
    section(t('report.head'), facts([
      [t('report.from'), fmt.date(data.from)], [t('report.to'), fmt.date(data.to)],
      [t('report.agency'), data.agency_id ? agencyLabel(names, data.agency_id) : t('report.all_agencies')],
      [t('report.generated_at'), fmt.dateTime(data.generated_at)],
    ]), h('p', null, csv), csvOut),
    ...parts.map(([k, v]) => section(keyLabel(k), isScalar(v) ? h('p', null, cell(v)) : partTable(k, v))),
    h('p', null, link('/ws/reports', t('report.back'))));
}
