// Building the page. Every value, from the server or the user, goes in as a
// text node or an attribute value: nothing here ever parses HTML
// (no innerHTML, no insertAdjacentHTML), so a dataset titled "<script>"
// shows as those characters.

// h(tag, attrs, ...children): an element. attrs: "class", "on<event>"
// (a function), true/false for boolean attributes, anything else as an
// attribute value; children: nodes, strings, numbers, arrays, null.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function')
      el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
}

export function add(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// replace(el, ...children): el's content becomes children.
export function replace(el, ...children) {
  el.replaceChildren();
  return add(el, children);
}

let uid = 0;
// An id unique in the page, for label/for and aria-describedby.
export function newId(prefix = 'f') {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A definition list from [label, value] pairs; rows whose value is null,
// undefined or '' are left out.
export function facts(pairs, cls = 'facts') {
  const dl = h('dl', { class: cls });
  for (const [label, value] of pairs) {
    if (value === null || value === undefined || value === '') continue;
    dl.append(h('dt', null, label), h('dd', null, value));
  }
  return dl;
}

// A table: columns [{label, value: row => node|string, cls}], rows.
export function table(columns, rows, { caption, empty } = {}) {
  if (!rows.length && empty) return h('p', { class: 'empty' }, empty);
  const wrap = h('div', { class: 'table-wrap', tabindex: '0',
    role: 'region', 'aria-label': caption || null });
  const tbl = h('table', null,
    // The caption names the table for assistive technology; the section's
    // heading above says the same to the eye.
    caption ? h('caption', { class: 'sr-only' }, caption) : null,
    h('thead', null, h('tr', null, columns.map(c =>
      h('th', { scope: 'col', class: c.cls }, c.label)))),
    h('tbody', null, rows.map(r => h('tr', null, columns.map((c, i) =>
      h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, class: c.cls,
        'data-label': c.label }, c.value(r)))))));
  wrap.append(tbl);
  return wrap;
}

// A link inside the portal (hash route).
export function link(route, text, attrs = {}) {
  return h('a', { ...attrs, href: `#${route}` }, text);
}

// Hands blob to the browser as a download named name: an object URL on a
// hidden link, clicked, and released once the browser has taken it.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
