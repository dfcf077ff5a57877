// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- this file is never compiled, only read as text
// @ts-nocheck -- plain JS read as text and evaluated inside the page under test (see driver.ts)
// Runs inside the page under test, in every engine: finds elements the way a user names them
// (role + accessible name, label, text). Plain JS, read as text: no transpiler may touch it.
(() => {
  const IMPLICIT = {
    button: 'button, input[type=submit], input[type=button], input[type=reset], summary',
    link: 'a[href]',
    heading: 'h1, h2, h3, h4, h5, h6',
    textbox: 'input:not([type]), input[type=text], input[type=password], input[type=search], input[type=email], textarea',
    checkbox: 'input[type=checkbox]',
    radio: 'input[type=radio]',
    list: 'ul, ol',
    listitem: 'li',
    img: 'img[alt], svg',
    dialog: 'dialog',
    region: 'section[aria-label], section[aria-labelledby]',
    alert: '',
    status: 'output'
  };
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const visible = (el) => {
    if (!el.isConnected) return false;
    if (typeof el.checkVisibility === 'function') {
      if (!el.checkVisibility({ checkOpacity: false, checkVisibilityCSS: true })) return false;
    } else {
      const st = getComputedStyle(el);
      if (st.visibility === 'hidden' || st.display === 'none') return false;
    }
    return el.getClientRects().length > 0;
  };
  const byIds = (ids) =>
    ids
      .split(/\s+/)
      .map((id) => document.getElementById(id))
      .filter(Boolean);
  const labelOf = (el) => {
    const lb = el.getAttribute('aria-labelledby');
    if (lb)
      return norm(
        byIds(lb)
          .map((e) => e.textContent)
          .join(' ')
      );
    const al = el.getAttribute('aria-label');
    if (al) return norm(al);
    if (el.labels && el.labels.length)
      return norm(
        Array.from(el.labels)
          .map((l) => l.textContent)
          .join(' ')
      );
    return '';
  };
  const nameOf = (el) => {
    const l = labelOf(el);
    if (l) return l;
    if (el.tagName === 'IMG') return norm(el.getAttribute('alt'));
    if (el.tagName === 'INPUT' && ['submit', 'button'].includes(el.type)) return norm(el.value);
    const t = norm(el.textContent);
    if (t) return t;
    return norm(el.getAttribute('title') || el.getAttribute('placeholder'));
  };
  const roleOf = (el) => el.getAttribute('role');
  const matches = (actual, want, exact) => {
    if (want instanceof RegExp || (want && typeof want === 'object' && want.regex)) {
      const re = want instanceof RegExp ? want : new RegExp(want.regex, want.flags || '');
      return re.test(actual);
    }
    return exact ? actual === want : actual.toLowerCase().includes(String(want).toLowerCase());
  };
  const all = (root, sel) => Array.from(root.querySelectorAll(sel));
  function candidates(t, root) {
    if (t.css) return all(root, t.css);
    if (t.role) {
      const sel = [`[role="${t.role}"]`, IMPLICIT[t.role]].filter(Boolean).join(', ');
      return all(root, sel).filter((el) => {
        const r = roleOf(el);
        return (!r || r === t.role) && (t.name === undefined || matches(nameOf(el), t.name, t.exact));
      });
    }
    if (t.label) {
      return all(root, 'input, textarea, select, button, [aria-label], [aria-labelledby], [role]').filter((el) => matches(labelOf(el), t.label, t.exact));
    }
    if (t.text !== undefined) {
      // The innermost elements whose text contains it.
      const hits = all(root, 'body *').filter((el) => !['SCRIPT', 'STYLE'].includes(el.tagName) && matches(norm(el.textContent), t.text, t.exact));
      return hits.filter((el) => !hits.some((o) => o !== el && el.contains(o)));
    }
    if (t.testId) return all(root, `[data-testid="${t.testId}"]`);
    throw new Error('bad target ' + JSON.stringify(t));
  }
  function find(t) {
    let roots = [document];
    if (t.within) roots = find(t.within);
    const out = [];
    for (const r of roots) for (const el of candidates(t, r)) if (!out.includes(el)) out.push(el);
    const shown = t.hidden ? out : out.filter(visible);
    return t.hasText ? shown.filter((el) => matches(norm(el.textContent), t.hasText, false)) : shown;
  }
  function one(t) {
    const els = find(t);
    if (els.length === 0) return null;
    return t.nth !== undefined ? (els[t.nth] ?? null) : els[0];
  }
  return { find, one, nameOf, visible };
})();
