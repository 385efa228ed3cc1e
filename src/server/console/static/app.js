// app.js - the console's shell: sign-in, the hash router, the error and
// notice banners, and the refresh loop every page's data goes through.
// Pages (clusters.js, service.js, tasks.js, instances.js, taskdefs.js)
// are functions (ctx, ...route params) that fill ctx.main.
import { call, loadCredentials, saveCredentials, forgetCredentials } from './api.js';
import { replace } from './dom.js';
import * as clusters from './clusters.js';
import * as service from './service.js';
import * as tasks from './tasks.js';
import * as instances from './instances.js';
import * as taskdefs from './taskdefs.js';

const REFRESH_MS = 5000;

const routes = [
  [/^\/?$/, clusters.list],
  [/^\/clusters\/([^/]+)\/?$/, clusters.services],
  [/^\/clusters\/([^/]+)\/services\/([^/]+)$/, service.detail],
  [/^\/clusters\/([^/]+)\/tasks$/, tasks.list],
  [/^\/clusters\/([^/]+)\/tasks\/([^/]+)$/, tasks.detail],
  [/^\/clusters\/([^/]+)\/instances$/, instances.list],
  [/^\/taskdefs$/, taskdefs.list],
  [/^\/taskdefs\/([^/]+)$/, taskdefs.detail],
];

const $ = (id) => document.getElementById(id);
let current = null; // the mounted page's context

// The error banner shows an API error verbatim ("AccessDeniedException:
// User ... is not authorized ...").  An error from a refresh is cleared
// when that refresh next succeeds; an action's stays until the next action
// or page.
let errorSource = null;
function showError(e, source = 'action') {
  const el = $('error');
  el.textContent = e && e.type ? `${e.type}: ${e.message}` : String((e && e.message) || e);
  el.hidden = false;
  errorSource = source;
}
function clearError(source) {
  if (source && errorSource !== source) return;
  $('error').hidden = true;
  $('error').textContent = '';
  errorSource = null;
}
function notice(text) {
  const el = $('notice');
  el.textContent = text || '';
  el.hidden = !text;
}

function newContext() {
  const timers = [];
  const ctx = {
    main: $('main'),
    live: true,
    error: showError,
    clearError,
    notice,
    // Run load now and every ms (default REFRESH_MS) while the page is
    // shown; never two at once.  Its errors go to the banner.
    every(load, ms = REFRESH_MS, key = `refresh${timers.length}`) {
      let busy = false;
      const run = async () => {
        if (busy || !ctx.live) return;
        busy = true;
        try {
          await load();
          if (ctx.live) clearError(key);
        } catch (e) {
          if (ctx.live) showError(e, key);
        } finally {
          busy = false;
        }
      };
      timers.push(setInterval(run, ms));
      return run();
    },
    // An action from a button: disables it while it runs, reports errors.
    async act(button, fn) {
      clearError();
      notice('');
      if (button) button.disabled = true;
      try {
        await fn();
      } catch (e) {
        showError(e);
      } finally {
        if (button) button.disabled = false;
      }
    },
    dispose() {
      ctx.live = false;
      timers.forEach(clearInterval);
    },
  };
  return ctx;
}

function signIn() {
  $('nav').hidden = $('who').hidden = $('signout').hidden = true;
  const form = $('signin-template').content.firstElementChild.cloneNode(true);
  replace($('main'), form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const creds = {
      accessKeyId: String(f.get('accessKeyId')).trim(),
      secretAccessKey: String(f.get('secretAccessKey')),
      sessionToken: String(f.get('sessionToken') || '').trim() || undefined,
      region: String(f.get('region')).trim() || 'us-east-1',
    };
    const button = form.querySelector('button');
    button.disabled = true;
    clearError();
    try {
      // The key is kept only once the server has accepted a signature made
      // with it: AccessDenied means it did (the caller is known, the call
      // not allowed), so a user without ecs:ListClusters may still sign in.
      try {
        await call('ecs', 'ListClusters', { maxResults: 1 }, creds);
      } catch (e) {
        if (e.type !== 'AccessDeniedException') throw e;
      }
      saveCredentials(creds);
      route();
    } catch (e) {
      showError(e);
    } finally {
      button.disabled = false;
    }
  });
}

function route() {
  if (current) current.dispose();
  current = null;
  clearError();
  notice('');
  const creds = loadCredentials();
  if (!creds) return signIn();
  $('nav').hidden = $('who').hidden = $('signout').hidden = false;
  $('who').textContent = `${creds.accessKeyId} · ${creds.region}`;
  const path = location.hash.replace(/^#/, '') || '/';
  for (const [re, page] of routes) {
    const m = path.match(re);
    if (!m) continue;
    current = newContext();
    replace(current.main);
    Promise.resolve(page(current, ...m.slice(1).map(decodeURIComponent))).catch((e) => showError(e));
    return;
  }
  replace($('main'));
  showError(`No page at #${path}`);
}

$('signout').addEventListener('click', () => {
  forgetCredentials();
  location.hash = '#/';
  route();
});
window.addEventListener('hashchange', route);
route();
