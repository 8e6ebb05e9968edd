// The CAAS demo app: signs in through POST /demo/session (which the demo server
// answers by creating the user and a session token), connects a CaasClient to
// this origin, and shows the chat list beside the chat window.
import { CaasClient, ClientEvent } from '/demo/sdk/index.js';
import '/demo/sdk/components.js';

const params = new URLSearchParams(location.search);
const userId = params.get('user');
const status = document.getElementById('status');

if (!userId) {
  showSignIn();
} else {
  start(userId, params.get('name') || userId).catch((error) => {
    setStatus(`Could not start: ${error.message ?? error}`, true);
  });
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
    const name = String(data.get('name') ?? '').trim();
    if (name) next.set('name', name);
    location.search = next.toString();
  });
}

/** Asks the demo server for a session token (it creates the user if needed). */
async function demoToken(id, name) {
  const res = await fetch('/demo/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user_id: id, name }),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = `${res.status}`;
    try {
      message = JSON.parse(text).error?.message ?? message;
    } catch {
      // Not JSON: keep the status.
    }
    throw new Error(`POST /demo/session failed: ${message}`);
  }
  return JSON.parse(text).token;
}

async function start(id, name) {
  document.getElementById('me').textContent = `as ${name === id ? id : `${name} (${id})`}`;
  document.title = `${id} · CAAS chat demo`;
  const list = document.querySelector('caas-chat-list');
  const chat = document.querySelector('caas-chat-window');
  const startForm = document.getElementById('start');

  const client = new CaasClient({ url: location.origin, tokenProvider: () => demoToken(id, name) });
  client.on(ClientEvent.Connected, ({ resumed }) => setStatus(resumed ? 'Connected (resumed)' : 'Connected'));
  client.on(ClientEvent.Reconnecting, ({ attempt }) => setStatus(`Reconnecting (attempt ${attempt})…`));
  client.on(ClientEvent.Disconnected, ({ error }) => setStatus(`Disconnected${error ? `: ${error.message}` : ''}`, true));
  // Give the components the client before connecting, so that they see every event.
  list.client = client;
  chat.client = client;

  const open = (conversationId) => {
    chat.conversationId = conversationId;
    list.selected = conversationId;
    const url = new URL(location.href);
    url.searchParams.set('c', conversationId);
    history.replaceState(null, '', url);
  };
  list.addEventListener('caas-select', (e) => open(e.detail.conversationId));

  startForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const peer = startForm.elements.peer.value.trim();
    if (!peer) return;
    if (peer === id) {
      setStatus('Pick someone else: a direct chat needs another user.', true);
      return;
    }
    try {
      // Creating a direct conversation that exists returns it.
      const conversation = await client.conversations.create({ kind: 'direct', members: [peer] });
      startForm.reset();
      open(conversation.id);
      setStatus(`Chatting with ${peer}`);
    } catch (error) {
      const hint = error.code === 'not_found' ? ` (has ${peer} signed in to the demo yet?)` : '';
      setStatus(`Could not open a chat with ${peer}: ${error.message}${hint}`, true);
    }
  });

  setStatus('Connecting…');
  await client.connect();
  document.getElementById('app').hidden = false;
  startForm.hidden = false;
  const reopen = params.get('c');
  if (reopen) open(reopen);
}
