// The CAAS calendar and tasks demo: signs in through POST /demo/session like the
// chat demo, then shows <caas-calendar> or <caas-tasks> (#calendar / #tasks).
// Query: ?user=ann[&conversation=<id>][&date=YYYY-MM-DD][&view=month|week][&tasks=list|board].
// With a conversation, new events and tasks go to it, and tasks show its board.
//
// Test hooks (used by sdk-js/browser/work.test.ts): `window.client` is the
// CaasClient; the status reads `Connected` once the socket is up.
import { CaasClient, ClientEvent } from '/demo/sdk/index.js';
import '/demo/sdk/components.js';

const params = new URLSearchParams(location.search);
const userId = params.get('user');
const status = document.getElementById('status');

if (!userId) {
  const form = document.getElementById('signin');
  form.hidden = false;
  status.textContent = 'Not signed in';
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.search = new URLSearchParams({ user: String(new FormData(form).get('user')).trim() }).toString();
  });
} else {
  start(userId).catch((error) => setStatus(`Could not start: ${error.message ?? error}`, true));
}

function setStatus(text, isError = false) {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

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
  document.getElementById('me').textContent = `as ${id}`;
  document.title = `${id} · CAAS calendar & tasks`;
  const client = new CaasClient({ url: location.origin, tokenProvider: () => demoToken(id) });
  window.client = client;
  client.on(ClientEvent.Connected, () => setStatus('Connected'));
  client.on(ClientEvent.Disconnected, ({ error }) => setStatus(`Disconnected${error ? `: ${error.message}` : ''}`, true));

  const calendar = document.getElementById('calendar');
  const tasks = document.getElementById('tasks');
  const conversation = params.get('conversation');
  if (conversation) {
    calendar.conversationId = conversation;
    tasks.conversationId = conversation;
  }
  if (params.get('date')) calendar.date = params.get('date');
  if (params.get('view')) calendar.view = params.get('view');
  tasks.view = params.get('tasks') === 'list' ? 'list' : conversation ? 'board' : 'list';
  for (const el of [calendar, tasks]) {
    el.addEventListener('caas-error', (e) => setStatus(`${e.detail.action}: ${e.detail.error?.message ?? e.detail.error}`, true));
  }

  const show = () => {
    const tab = location.hash === '#tasks' ? 'tasks' : 'calendar';
    calendar.hidden = tab !== 'calendar';
    tasks.hidden = tab !== 'tasks';
    for (const a of document.querySelectorAll('nav a[data-tab]')) {
      if (a.dataset.tab === tab) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  };
  addEventListener('hashchange', show);
  show();

  calendar.client = client;
  tasks.client = client;
  setStatus('Connecting…');
  await client.connect();
  document.getElementById('app').hidden = false;
}
