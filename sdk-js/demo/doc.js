// The CAAS doc demo: signs in through POST /demo/session like the chat demo,
// then shows a <caas-doc> for ?doc= (without it, creates a `doc` document and
// puts its id in the address). &editors=a,b and &viewers=c give those users the
// editor and viewer roles on a new document.
//
// Test hooks (used by sdk-js/browser/doc.test.ts): `window.client` is the
// CaasClient; the status reads `Synced` once the document is in sync, and
// `Read-only` once the server refused a change.
import { CaasClient } from '/demo/sdk/index.js';
import '/demo/sdk/components.js';

const params = new URLSearchParams(location.search);
const userId = params.get('user');
const status = document.getElementById('status');

if (!userId) {
  showSignIn();
} else {
  start(userId).catch((error) => setStatus(`Could not start: ${error.message ?? error}`, true));
}

function setStatus(text, isError = false) {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

function showSignIn() {
  const form = document.getElementById('signin');
  form.hidden = false;
  setStatus('Not signed in');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams({ user: String(data.get('user')).trim() });
    const doc = String(data.get('doc') ?? '').trim();
    if (doc) next.set('doc', doc);
    location.search = next.toString();
  });
}

/** Asks the demo server for a session token (it creates the user if needed). */
async function demoToken(id) {
  const res = await fetch('/demo/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user_id: id }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /demo/session failed: ${res.status} ${text}`);
  return JSON.parse(text).token;
}

/** The comma-separated user ids of query parameter `name`. */
function list(name) {
  return (params.get(name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function start(id) {
  const client = new CaasClient({ url: location.origin, tokenProvider: () => demoToken(id) });
  window.client = client;
  let docId = params.get('doc');
  if (!docId) {
    const roles = Object.fromEntries([...list('editors').map((u) => [u, 'editor']), ...list('viewers').map((u) => [u, 'viewer'])]);
    const { doc } = await client.docs.create({ kind: 'doc', title: `${id}'s document`, roles });
    docId = doc.id;
    params.set('doc', docId);
    history.replaceState(null, '', `?${params}`);
  }
  document.getElementById('me').textContent = `as ${id} on ${docId}`;
  document.title = `${id} · CAAS doc demo`;
  document.getElementById('app').hidden = false;
  const editor = document.querySelector('caas-doc');
  editor.userName = params.get('name') || id;
  let readOnly = false;
  editor.addEventListener('caas-synced', () => setStatus(readOnly ? 'Synced · Read-only' : 'Synced'));
  editor.addEventListener('caas-readonly', () => {
    readOnly = true;
    setStatus('Read-only');
  });
  editor.addEventListener('caas-error', (e) => setStatus(`Error: ${e.detail.error?.message ?? e.detail.error}`, true));
  setStatus('Connecting…');
  editor.docId = docId;
  editor.client = client;
}
