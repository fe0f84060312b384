// hopd's dashboard: renders /api/status, follows /api/events, and sends the
// page's few actions. Everything is built with textContent, never HTML, so
// no name from a config can become markup.
'use strict';

(() => {
  const csrf = document.querySelector('meta[name="hopd-csrf"]').content;
  // hopd hands the page its list of states (internal/dashboard/states.go),
  // so no state is spelled here: states.user.needsMfa is "needs-mfa".
  const states = JSON.parse(document.querySelector('meta[name="hopd-states"]').content);
  const $ = (id) => document.getElementById(id);

  let view = null;       // the last status from hopd
  let clockOffset = 0;   // hopd's clock minus ours, in ms
  let ended = false;     // the session is gone: stop talking to hopd
  const notes = new Map(); // account -> {text, bad}: the last button's outcome
  const serviceChoice = new Map(); // account -> the service chosen beside its Open console

  // el builds an element: el('span', {className: 'x'}, 'text', child...).
  function el(tag, props, ...children) {
    const e = document.createElement(tag);
    Object.assign(e, props || {});
    for (const c of children) {
      if (c !== null && c !== undefined) e.append(c);
    }
    return e;
  }

  const now = () => Date.now() + clockOffset;
  // 24-hour times, as `hopd status` and the tray print them, whatever the
  // browser's locale would choose.
  const hhmm = (t) => new Date(t).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'});
  const hhmmss = (t) => new Date(t).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'});

  // until says how long until t, as a person reads it.
  function until(t) {
    const ms = Date.parse(t) - now();
    if (ms <= 0) return 'expired';
    const min = Math.floor(ms / 60000);
    if (min < 1) return 'in less than a minute';
    if (min < 60) return `in ${min} min`;
    return `in ${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
  }

  function expiresText(t) {
    const left = until(t);
    return left === 'expired' ? `expired at ${hhmm(t)}` : `expires at ${hhmm(t)} (${left})`;
  }

  function sessionLine(v) {
    const line = $('session');
    line.classList.remove('needs');
    const waiting = v.users.filter((u) => u.needs_code);
    if (waiting.length) {
      line.classList.add('needs');
      line.textContent = 'MFA code needed' + (v.users.length > 1 ? ` for ${waiting.map((u) => u.name).join(', ')}` : '');
      return;
    }
    const parts = v.users.filter((u) => u.state === states.user.ok && u.session_expires).map((u) =>
      (v.users.length > 1 ? `${u.name}: ` : '') + `Session valid until ${hhmm(u.session_expires)} (${until(u.session_expires)})`);
    const broken = v.users.filter((u) => u.state === states.user.error || u.state === states.user.noKeys);
    if (broken.length) {
      line.textContent = broken.map((u) => `${u.name}: ${u.last_error || u.state}`).join(' · ');
      line.classList.add('needs');
      return;
    }
    line.textContent = parts.length ? parts.join(' · ') : 'No session yet: it starts when an account is first used';
  }

  function renderMFA(v) {
    const waiting = v.users.filter((u) => u.needs_code);
    const section = $('mfa');
    section.hidden = waiting.length === 0;
    if (!waiting.length) return;
    const select = $('mfa-user');
    const names = waiting.map((u) => u.name);
    const have = Array.from(select.options, (o) => o.value);
    if (have.join('\n') !== names.join('\n')) {
      select.replaceChildren(...names.map((n) => el('option', {value: n, textContent: n})));
    }
    select.hidden = names.length < 2;
    $('mfa-user-name').textContent = names.length < 2 ? names[0] : '';
    const why = waiting.find((u) => u.last_error);
    const msg = $('mfa-message');
    if (why && !msg.textContent) {
      const text = why.last_error.replace(/^an MFA code is needed: /, '');
      msg.textContent = text.charAt(0).toUpperCase() + text.slice(1);
      msg.className = 'message bad';
    }
  }

  // renderSSO lists each [[sso]] with a Sign in button while it needs one.
  function renderSSO(v) {
    const list = v.sso || [];
    $('sso').hidden = list.length === 0;
    $('sso-list').replaceChildren(...list.map((s) => {
      const li = el('li', {className: 'sso-item'});
      li.dataset.sso = s.name;
      let text = `${s.name}: ${s.state}`;
      if (s.login && s.login.user_code) text += ` (confirm the code ${s.login.user_code} at ${s.login.url})`;
      if (s.last_error) text += ` (${s.last_error})`;
      li.append(el('span', {textContent: text}));
      if (s.state === states.sso.needsSignIn || s.state === states.sso.error) {
        const b = el('button', {type: 'button', className: 'sso-login', textContent: `Sign in to ${s.name}`});
        b.addEventListener('click', async () => {
          b.disabled = true;
          const r = await post('/api/sso/login', {name: s.name});
          if (!r.ok) li.append(el('span', {className: 'action-message bad', textContent: r.message}));
          else if (!r.data.opened) window.open(r.data.url, '_blank', 'noopener');
        });
        li.append(b);
      }
      return li;
    }));
  }

  function clientItem(c) {
    const who = c.process ? `${c.process} (pid ${c.pid})` : c.remote;
    return el('li', {className: 'client'},
      el('time', {dateTime: c.time, textContent: hhmmss(c.time)}),
      el('span', {className: 'endpoint', textContent: c.endpoint}),
      el('span', {className: 'proc', textContent: who}),
      el('span', {textContent: c.requests === 1 ? '1 request' : `${c.requests} requests`}));
  }

  function accountItem(a) {
    const stripe = el('div', {className: 'stripe'});
    if (/^#[0-9a-f]{6}$/i.test(a.color)) stripe.style.backgroundColor = a.color;
    const badge = a.waiting_for_mfa ?
      el('span', {className: 'badge waiting', textContent: 'waiting for MFA code'}) :
      el('span', {className: `badge ${a.state}`, textContent: states.accountLabel[a.state] || a.state});
    const state = el('div', {className: 'state'}, badge);
    if (a.expires) {
      state.append(el('span', {className: 'expires', textContent: expiresText(a.expires)}));
      state.lastChild.dataset.expires = a.expires;
    }
    const body = el('div', {className: 'body'},
      el('div', {className: 'title'},
        el('h3', {className: 'name', textContent: a.name}),
        el('span', {className: 'meta', textContent: `${a.id} · ${a.role} · ${a.region}` + (a.imds_port ? ` · IMDS :${a.imds_port}` : '')})),
      state);
    if (a.state === states.account.error && a.last_error && !a.waiting_for_mfa) body.append(el('p', {className: 'error', textContent: a.last_error}));
    if (a.clients && a.clients.length) {
      body.append(el('ul', {className: 'clients', title: 'the last programs that fetched these credentials'}, ...a.clients.map(clientItem)));
    }
    const left = a.console_ends ? Date.parse(a.console_ends) - now() : 0;
    const button = el('button', {type: 'button', className: 'open-console', textContent: left > 0 && left <= 10 * 60000 ? 'Open again' : 'Open console'});
    if (left > 0) {
      state.append(el('span', {className: 'console-ends', textContent: `console until ${hhmm(a.console_ends)}`}));
    }
    button.setAttribute('aria-label', `Open the AWS console of ${a.name}`);
    const at = el('select', {className: 'console-service'},
      el('option', {value: '', textContent: 'home'}), ...(view ? view.services : []).map(s => el('option', {value: s, textContent: s})));
    at.setAttribute('aria-label', `Where to open the console of ${a.name}`);
    const chosen = serviceChoice.get(a.name);
    if (chosen) at.value = chosen;
    at.addEventListener('change', () => serviceChoice.set(a.name, at.value));
    button.addEventListener('click', () => openConsole(a.name, at.value, button, !a.own_browser));
    const copy = el('button', {type: 'button', className: 'copy-env', textContent: 'Copy env lines'});
    copy.setAttribute('aria-label', `Copy the shell lines that point SDKs at hopd for ${a.name}`);
    copy.addEventListener('click', () => copyEnv(a.name));
    const note = notes.get(a.name);
    const actions = el('div', {className: 'actions'}, button, at, copy,
      el('span', {className: 'action-message' + (note && note.bad ? ' bad' : ''), textContent: note ? note.text : ''}));
    const li = el('li', {className: 'account'}, stripe, body, actions);
    li.dataset.account = a.name;
    li.dataset.state = a.state;
    return li;
  }

  function render(v) {
    // The answer to a POST can arrive after a newer state on the event
    // stream; showing it would undo that state until the next event.
    if (view && v.seq < view.seq) v = view;
    view = v;
    clockOffset = Date.parse(v.now) - Date.now();
    $('version').textContent = v.version ? `version ${v.version}` : '';
    $('config-path').textContent = v.config_path ? `Config: ${v.config_path}` : '';
    sessionLine(v);
    renderMFA(v);
    renderSSO(v);
    const problem = $('problem');
    problem.hidden = !v.config_error;
    problem.textContent = v.config_error ? `The config file has an error; the last good config stays in force:\n${v.config_error}` : '';
    $('accounts').replaceChildren(...v.accounts.map(accountItem));
    $('no-accounts').hidden = v.accounts.length > 0;
  }

  // tick keeps the countdowns true between updates.
  function tick() {
    if (!view) return;
    for (const e of document.querySelectorAll('[data-expires]')) e.textContent = expiresText(e.dataset.expires);
    sessionLine(view);
  }

  function flash(text) {
    const f = $('flash');
    f.textContent = text;
    f.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => { f.hidden = true; }, 8000);
  }

  function sessionEnded() {
    ended = true;
    $('live').classList.remove('on');
    $('live').textContent = 'disconnected';
    const p = $('problem');
    p.hidden = false;
    p.textContent = 'This dashboard session has ended (hopd restarted, or the session expired). ' +
      'Choose Open dashboard in hopd\'s tray menu, or run `hopd dashboard`, to open it again.';
    for (const b of document.querySelectorAll('button, input')) b.disabled = true;
  }

  async function post(path, body) {
    const r = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
      headers: {'Content-Type': 'application/json', 'X-Hopd-Csrf': csrf},
      body: JSON.stringify(body),
    });
    let data = null;
    if (r.status !== 204) {
      try { data = await r.json(); } catch (e) { data = null; }
    }
    if (r.status === 401) sessionEnded();
    return {ok: r.ok, data, message: (data && data.message) || `hopd answered ${r.status}`};
  }

  // inTab: the page opens the console itself, in a tab it opens now, while
  // the click still counts (a tab opened after the sign-in's round trip
  // would meet the popup blocker); hopd answers with a one-time link for it.
  // Accounts with a browser command (a container, a profile) open through
  // hopd instead.
  async function openConsole(name, service, button, inTab) {
    button.disabled = true;
    const tab = inTab ? window.open('', '_blank') : null;
    if (tab) {
      tab.opener = null; // the console must not reach back into this page
      tab.document.title = 'Signing in to ' + name + '…';
    }
    notes.set(name, {text: 'Signing in…'});
    if (view) render(view);
    try {
      const r = await post('/api/console', service ? {account: name, service} : {account: name});
      if (r.ok && r.data && r.data.open) {
        if (tab) {
          tab.location.replace(r.data.open);
        } else {
          window.open(r.data.open, '_blank', 'noopener');
        }
        notes.set(name, {text: 'Opened in a new tab.'});
      } else {
        if (tab) tab.close();
        notes.set(name, r.ok ? {text: 'Opened in the browser.'} : {text: r.message, bad: true});
      }
    } catch (e) {
      if (tab) tab.close();
      notes.set(name, {text: 'hopd did not answer; is it running?', bad: true});
    }
    if (view) render(view);
  }

  async function copyEnv(name) {
    try {
      const r = await post('/api/env', {account: name});
      if (!r.ok) {
        notes.set(name, {text: r.message, bad: true});
      } else {
        await navigator.clipboard.writeText(r.data.text);
        notes.set(name, {text: 'Copied: paste the lines into a shell.'});
      }
    } catch (e) {
      notes.set(name, {text: 'Could not copy: run `hopd env ' + name + '` instead.', bad: true});
    }
    if (view) render(view);
  }

  $('mfa-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('mfa-code');
    const msg = $('mfa-message');
    const code = input.value.trim();
    if (!/^[0-9]{6}$/.test(code)) {
      msg.textContent = 'An MFA code is 6 digits.';
      msg.className = 'message bad';
      input.focus();
      return;
    }
    const select = $('mfa-user');
    const user = select.value || '';
    $('mfa-submit').disabled = true;
    msg.textContent = 'Checking the code…';
    msg.className = 'message';
    try {
      const r = await post('/api/mfa', {user, code});
      input.value = '';
      if (r.ok) {
        msg.textContent = '';
        flash('Code accepted: the session has started.');
        if (r.data) render(r.data);
      } else {
        msg.textContent = r.message;
        msg.className = 'message bad';
        input.focus();
      }
    } catch (e) {
      msg.textContent = 'hopd did not answer; is it running?';
      msg.className = 'message bad';
    } finally {
      $('mfa-submit').disabled = false;
    }
  });

  $('reload').addEventListener('click', async () => {
    const b = $('reload');
    b.disabled = true;
    try {
      const r = await post('/api/reload', {});
      if (r.ok) {
        flash('Config re-read.');
        if (r.data) render(r.data);
      } else {
        const p = $('problem');
        p.hidden = false;
        p.textContent = r.message;
      }
    } finally {
      b.disabled = ended;
    }
  });

  // follow keeps the page up to date with server-sent events; the browser
  // reconnects by itself after a network error, but not after an error
  // answer, which is how a session that has ended shows.
  function follow() {
    const es = new EventSource('/api/events');
    const live = $('live');
    es.addEventListener('status', (e) => {
      live.classList.add('on');
      live.textContent = 'live';
      render(JSON.parse(e.data));
    });
    es.addEventListener('error', async () => {
      live.classList.remove('on');
      live.textContent = 'reconnecting';
      if (es.readyState !== EventSource.CLOSED) return;
      try {
        const r = await fetch('/api/status', {credentials: 'same-origin', cache: 'no-store'});
        if (r.status === 401) {
          sessionEnded();
          return;
        }
      } catch (e) { /* hopd is down: try again below */ }
      setTimeout(follow, 3000);
    });
  }

  fetch('/api/status', {credentials: 'same-origin', cache: 'no-store'})
    .then((r) => (r.status === 401 ? (sessionEnded(), null) : r.json()))
    .then((v) => { if (v) render(v); })
    .catch(() => {});
  follow();
  setInterval(tick, 1000);
})();
