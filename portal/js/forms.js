// Forms: labelled fields, the server's 422 details shown next to the field
// they name (aria-invalid, aria-describedby), anything else in an alert at
// the top of the form. Forms are `novalidate`: the server's rules are the
// ones that count, and its answer is what the officer sees.

import { h, add, replace, newId } from './dom.js';
import { t } from './i18n.js';
import { ApiError } from './api.js';
import { errorText, problemText } from './errors.js';
import { announce } from './live.js';

// field spec: {name, label, type, options: [{value, label}], value, hint,
// required, toApi: v => value sent, rows, autocomplete}
function control(f, id, hintId) {
  const common = { id, name: f.name, 'aria-describedby': hintId || null,
    'aria-required': f.required ? 'true' : null, autocomplete: f.autocomplete || null };
  switch (f.type) {
    case 'textarea':
      return h('textarea', { ...common, rows: f.rows || 4 }, f.value || '');
    case 'select':
      return h('select', common, (f.options || []).map(o =>
        h('option', { value: o.value, selected: String(o.value) === String(f.value ?? '') }, o.label)));
    case 'checkboxes':
    case 'radio': {
      const kind = f.type === 'radio' ? 'radio' : 'checkbox';
      const chosen = new Set([f.value].flat().map(String));
      return h('div', { class: 'choices', id, role: kind === 'radio' ? 'radiogroup' : 'group',
        'aria-labelledby': `${id}-legend`, 'aria-describedby': hintId || null },
      (f.options || []).map(o => {
        const oid = newId('o');
        return h('div', { class: 'choice' },
          h('input', { type: kind, id: oid, name: f.name, value: o.value,
            checked: chosen.has(String(o.value)) }),
          h('label', { for: oid }, o.label));
      }));
    }
    case 'datetime':
      return h('input', { ...common, type: 'datetime-local', value: f.value || '' });
    default:
      return h('input', { ...common, type: f.type || 'text', value: f.value ?? '',
        spellcheck: f.type === 'password' ? 'false' : null });
  }
}

function readValue(form, f) {
  if (f.type === 'checkboxes') {
    return [...form.querySelectorAll(`input[name="${f.name}"]:checked`)].map(i => i.value);
  }
  if (f.type === 'radio') {
    const c = form.querySelector(`input[name="${f.name}"]:checked`);
    return c ? c.value : '';
  }
  return form.elements.namedItem(f.name).value;
}

export function buildForm({ fields, submit, onSubmit, cls, title, danger, intro }) {
  const alert = h('div', { class: 'form-alert', role: 'alert', hidden: true });
  const rows = new Map();
  const formEl = h('form', { class: `form ${cls || ''}`, novalidate: true });
  if (title) formEl.append(h('h3', null, title));
  if (intro) formEl.append(h('p', { class: 'intro' }, intro));
  formEl.append(alert);
  for (const f of fields) {
    const id = newId(f.name);
    const hintId = f.hint ? `${id}-hint` : null;
    const errId = `${id}-error`;
    const ctl = control(f, id, hintId);
    const lab = (f.type === 'checkboxes' || f.type === 'radio')
      ? h('span', { class: 'label', id: `${id}-legend` }, f.label, f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null)
      : h('label', { for: id }, f.label, f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null);
    const err = h('p', { class: 'field-error', id: errId, hidden: true });
    const row = h('div', { class: `field field-${f.type || 'text'}`, 'data-field': f.name },
      lab, f.hint ? h('p', { class: 'hint', id: hintId }, f.hint) : null, ctl, err);
    rows.set(f.name, { row, ctl, err, errId, hintId });
    formEl.append(row);
  }
  const button = h('button', { type: 'submit', class: danger ? 'btn danger' : 'btn primary' }, submit);
  formEl.append(h('div', { class: 'actions' }, button));

  function clearErrors() {
    alert.hidden = true;
    replace(alert);
    for (const { row, ctl, err, hintId } of rows.values()) {
      row.classList.remove('invalid');
      ctl.removeAttribute('aria-invalid');
      ctl.setAttribute('aria-describedby', hintId || '');
      if (!hintId) ctl.removeAttribute('aria-describedby');
      err.hidden = true;
      replace(err);
    }
  }

  function showError(e) {
    let first = null;
    const loose = [];
    if (e instanceof ApiError && e.details.length) {
      for (const d of e.details) {
        const slot = rows.get(d.field);
        if (!slot) { loose.push(`${d.field}: ${problemText(d.problem)}`); continue; }
        slot.row.classList.add('invalid');
        slot.ctl.setAttribute('aria-invalid', 'true');
        slot.ctl.setAttribute('aria-describedby', [slot.hintId, slot.errId].filter(Boolean).join(' '));
        add(slot.err, slot.err.hidden ? problemText(d.problem) : `; ${problemText(d.problem)}`);
        slot.err.hidden = false;
        first = first || slot.ctl;
      }
    }
    const summary = errorText(e);
    replace(alert, h('p', null, summary), loose.length ? h('ul', null, loose.map(l => h('li', null, l))) : null,
      e && e.requestId ? h('p', { class: 'rid' }, t('error.request_id', { id: e.requestId })) : null);
    alert.hidden = false;
    const target = first && first.matches('div') ? first.querySelector('input') : first;
    if (target) {
      target.focus();
    } else {
      alert.setAttribute('tabindex', '-1');
      alert.focus();
    }
  }

  formEl.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearErrors();
    const values = {};
    for (const f of fields) {
      let v = readValue(formEl, f);
      if (f.toApi) v = f.toApi(v, values);
      if (v === '' || v === undefined || (Array.isArray(v) && !v.length && !f.keepEmpty)) continue;
      values[f.name] = v;
    }
    button.disabled = true;
    formEl.setAttribute('aria-busy', 'true');
    try {
      await onSubmit(values, formEl);
    } catch (e) {
      showError(e);
      announce(errorText(e));
    } finally {
      button.disabled = false;
      formEl.removeAttribute('aria-busy');
    }
  });
  return { el: formEl, showError, clearErrors };
}
