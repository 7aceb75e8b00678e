// The API: requests, errors explained in words an operator can act on, form messages, the token.
import { $, h } from './dom.js';
import { num } from './format.js';
import { TOKEN_KEY } from './state.js';

export class ApiError extends Error {
  constructor(status, body, { method, path, sentToken, retryAfter }) {
    super(body?.error?.message ?? (status === 0 ? 'network error' : `HTTP ${status}`));
    this.status = status;
    this.code = body?.error?.code ?? null;
    this.error = body?.error ?? null;
    this.method = method;
    this.path = path;
    this.sentToken = sentToken;
    this.retryAfter = retryAfter;
  }
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const token = currentToken();
  const mutating = method !== 'GET';
  if (mutating) {
    headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
  }
  const context = { method, path, sentToken: mutating && Boolean(token), retryAfter: null };
  let response;
  try {
    response = await fetch(path, { method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, null, context);
  }
  let json = null;
  try {
    json = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): reported by status below.
  }
  if (!response.ok || json?.ok !== true) {
    throw new ApiError(response.status, json, { ...context, retryAfter: response.headers.get('retry-after') });
  }
  return json;
}

/** What went wrong, in words an operator can act on, and the fields to mark. */
export function explain(error) {
  if (!(error instanceof ApiError)) return { text: `Unexpected error in the page: ${error?.message ?? error}`, fields: [] };
  const detail = error.error ?? {};
  const fields = Array.isArray(detail.fields) ? detail.fields : [];
  switch (error.status) {
    case 0:
      return { text: 'Cannot reach the server (network error). Is the service running?', fields };
    case 400:
      return {
        text: fields.length > 0 ? 'Not accepted (400 VALIDATION):' : `Not accepted (400): ${error.message}`,
        fields,
      };
    case 401:
      return {
        text: error.sentToken
          ? 'The token was refused (401 UNAUTHORIZED): the Token field must hold the server\u2019s AMI_API_TOKEN exactly.'
          : 'This server requires a token (401 UNAUTHORIZED): enter its AMI_API_TOKEN in the Token field, then try again.',
        fields,
      };
    case 403:
      return {
        text: 'Refused (403 FORBIDDEN): the server has no AMI_API_TOKEN configured, so it accepts changes only from its own machine (loopback). Open this page on the server itself, or configure AMI_API_TOKEN on the server and enter it in the Token field.',
        fields,
      };
    case 404:
      return { text: `Not found (404): ${error.message}`, fields };
    case 409:
      return { text: `Conflict (409): ${error.message}`, fields };
    case 429: {
      const depth = detail.queueDepth !== undefined ? ` (${num(detail.queueDepth)} batch jobs queued, limit ${num(detail.limit)})` : '';
      const wait = error.retryAfter ? ` in ${error.retryAfter} s` : ' in a few seconds';
      return { text: `The publish queue is full${depth}: nothing was changed. Try again${wait}.`, fields };
    }
    case 503:
      return { text: 'The database is unavailable (503): try again shortly.', fields };
    default:
      return { text: `${error.method} ${error.path.split('?')[0]} failed (${error.status}${error.code ? ` ${error.code}` : ''}): ${error.message}`, fields };
  }
}

/** Shows a form's outcome; an error also marks the inputs the server named. */
export function showMessage(id, outcome, form) {
  const node = $(id);
  node.replaceChildren();
  node.className = 'msg';
  node.removeAttribute('role');
  if (form) for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  if (!outcome) return;
  if (outcome.ok) {
    node.classList.add('ok');
    node.setAttribute('role', 'status');
    node.textContent = outcome.text;
    return;
  }
  const { text, fields } = explain(outcome.error);
  node.classList.add('error');
  node.setAttribute('role', 'alert');
  node.append(text);
  if (fields.length > 0) {
    node.append(
      h(
        'ul',
        {},
        fields.map((f) => h('li', { 'data-field': f.field }, h('strong', {}, f.field), `: ${f.message}`)),
      ),
    );
    for (const f of fields) {
      for (const name of String(f.field).split(/,\s*/)) {
        const input = form?.elements.namedItem(name);
        if (input instanceof Element) input.setAttribute('aria-invalid', 'true');
      }
    }
  }
}

export async function withBusy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

export function currentToken() {
  return $('token-input').value.trim();
}

export function setupToken() {
  const input = $('token-input');
  input.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  input.addEventListener('input', () => {
    const token = input.value.trim();
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  });
  $('token-clear').addEventListener('click', () => {
    input.value = '';
    sessionStorage.removeItem(TOKEN_KEY);
    input.focus();
  });
}
