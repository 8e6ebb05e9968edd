// The CAAS whiteboard demo: signs in through POST /demo/session like the chat
// demo, then shows a <caas-whiteboard> for ?doc= (without it, creates a
// whiteboard document and puts its id in the address). &editors=a,b gives those
// users the editor role on a new board.
//
// Test hooks (used by sdk-js/browser/whiteboard.test.ts): `window.client` is the
// CaasClient; the status reads `Synced` once the board is in sync.
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

async function start(id) {
  const client = new CaasClient({ url: location.origin, tokenProvider: () => demoToken(id) });
  window.client = client;
  let docId = params.get('doc');
  if (!docId) {
    const editors = (params.get('editors') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const roles = Object.fromEntries(editors.map((e) => [e, 'editor']));
    const { doc } = await client.docs.create({ kind: 'whiteboard', title: `${id}'s board`, roles });
    docId = doc.id;
    params.set('doc', docId);
    history.replaceState(null, '', `?${params}`);
  }
  document.getElementById('me').textContent = `as ${id} on ${docId}`;
  document.title = `${id} · CAAS whiteboard demo`;
  document.getElementById('app').hidden = false;
  const board = document.querySelector('caas-whiteboard');
  board.userName = id;
  board.addEventListener('caas-synced', () => setStatus('Synced'));
  board.addEventListener('caas-error', (e) => setStatus(`Error: ${e.detail.error?.message ?? e.detail.error}`, true));
  setStatus('Connecting…');
  board.docId = docId;
  board.client = client;
}
