// dom.js - building the page without innerHTML: every value from the API
// goes in as text, so nothing a task or a user named can become markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function replace(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

// A table: columns [{title, cls}], rows of cells (a Node or text), and
// what to say when there are none.
export function table(columns, rows, emptyText = 'None.', attrs = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, emptyText);
  const t = h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.cls }, c.title)))),
    h(
      'tbody',
      {},
      rows.map((r) =>
        h(
          'tr',
          r.attrs || {},
          (r.cells || r).map((cell, i) => h('td', { class: columns[i] && columns[i].cls }, cell)),
        ),
      ),
    ),
  );
  return h('div', { class: 'table-wrap' }, t); // a wide table scrolls, not the page
}

export function status(value) {
  return h('span', { class: `status ${value || ''}` }, value || '-');
}

export function facts(pairs) {
  return h(
    'div',
    { class: 'facts' },
    pairs.map(([k, v]) => h('div', {}, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v ?? '-'))),
  );
}

// Times: the JSON protocols give epoch seconds (with a fraction).
export function when(epochSeconds) {
  if (epochSeconds === undefined || epochSeconds === null) return '-';
  const d = new Date(Number(epochSeconds) * 1000);
  return d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function lastPart(arn) {
  return String(arn || '').split('/').pop();
}

export function taskdefName(arn) {
  return String(arn || '').split('/').pop();
}

export function link(href, text, attrs = {}) {
  return h('a', { href, ...attrs }, text);
}

export function enc(v) {
  return encodeURIComponent(v);
}
