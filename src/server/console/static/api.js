// api.js - the console's only way to the server: JSON 1.0/1.1 calls to
// ECS, CloudWatch Logs and CloudWatch on this origin, each signed with the
// signed-in key (sigv4.js).  Errors come back as ApiError with the
// service's own exception name and message, shown to the user verbatim.
import { signRequest } from './sigv4.js';

const SERVICES = {
  ecs: { target: 'AmazonEC2ContainerServiceV20141113', json: '1.1', scope: 'ecs' },
  logs: { target: 'Logs_20140328', json: '1.1', scope: 'logs' },
  cloudwatch: { target: 'GraniteServiceVersion20100801', json: '1.0', scope: 'monitoring' },
};

const STORAGE_KEY = 'berth.console.credentials';

export class ApiError extends Error {
  constructor(type, message, status) {
    super(message);
    this.type = type;
    this.status = status;
  }
  toString() {
    return `${this.type}: ${this.message}`;
  }
}

// sessionStorage only: gone when the tab closes, never sent anywhere but
// in signatures.
export function loadCredentials() {
  try {
    const c = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    return c && c.accessKeyId && c.secretAccessKey && c.region ? c : null;
  } catch {
    return null;
  }
}

export function saveCredentials(c) {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(c));
}

export function forgetCredentials() {
  sessionStorage.removeItem(STORAGE_KEY);
}

export async function call(service, action, input = {}, credentials = loadCredentials()) {
  if (!credentials) throw new ApiError('NotSignedIn', 'Sign in first.', 0);
  const svc = SERVICES[service];
  const body = JSON.stringify(input);
  const headers = await signRequest({
    method: 'POST',
    host: location.host,
    path: '/',
    headers: { 'content-type': `application/x-amz-json-${svc.json}`, 'x-amz-target': `${svc.target}.${action}` },
    body,
    credentials,
    region: credentials.region,
    service: svc.scope,
  });
  // A read is tried twice: Chromium drops requests in flight when the
  // host's interfaces change, as they do each time the agent on this
  // machine gives a task its network.  A write is not repeated.
  const tries = /^(Describe|List|Get)/.test(action) ? 2 : 1;
  let res;
  for (let i = 0; !res; i++) {
    try {
      res = await fetch('/', { method: 'POST', headers, body, credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      if (i + 1 < tries) continue;
      throw new ApiError('NetworkError', `${action}: the server did not answer (${e.message})`, 0);
    }
  }
  const text = await res.text();
  let data = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(`HTTP${res.status}`, text.slice(0, 500), res.status);
  }
  if (!res.ok) {
    const type = String(data.__type || `HTTP${res.status}`).split('#').pop();
    throw new ApiError(type, data.message || data.Message || text, res.status);
  }
  return data;
}

// Every page of a list call (at most maxPages), concatenated.
export async function callAll(service, action, input, listKey, maxPages = 20) {
  let out = [];
  let token;
  for (let i = 0; i < maxPages; i++) {
    const page = await call(service, action, token ? { ...input, nextToken: token } : input);
    out = out.concat(page[listKey] || []);
    token = page.nextToken;
    if (!token) break;
  }
  return out;
}

// A Describe* call over ids in batches of n, results concatenated.
export async function describeBatched(service, action, input, idsKey, ids, listKey, n) {
  let out = [];
  for (let i = 0; i < ids.length; i += n) {
    const page = await call(service, action, { ...input, [idsKey]: ids.slice(i, i + n) });
    out = out.concat(page[listKey] || []);
  }
  return out;
}
