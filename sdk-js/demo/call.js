// The CAAS call demo: signs in through POST /demo/session like the chat demo,
// connects a CaasClient to this origin and puts a <caas-call> for ?room= on the
// page (Join button; add &autojoin to join at once).
//
// Test hooks (used by sdk-js/browser/call.test.ts): while in the call,
// `window.room` is the CallRoom (e.g. `room.sendData('hi')`), and
// `window.dataReceived` lists the data messages received, as
// `{data, participantId, userId}` (binary data as an array of byte values).
import { CaasClient, CallEvent, ClientEvent } from '/demo/sdk/index.js';
import '/demo/sdk/components.js';

const params = new URLSearchParams(location.search);
const userId = params.get('user');
const roomId = params.get('room') || 'standup';
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
    location.search = new URLSearchParams({
      user: String(data.get('user')).trim(),
      room: String(data.get('room')).trim(),
    }).toString();
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
  document.getElementById('me').textContent = `as ${id} in ${roomId}`;
  document.title = `${id} · ${roomId} · CAAS call demo`;
  const call = document.querySelector('caas-call');
  const client = new CaasClient({ url: location.origin, tokenProvider: () => demoToken(id) });
  client.on(ClientEvent.Connected, () => setStatus('Connected'));
  client.on(ClientEvent.Reconnecting, ({ attempt }) => setStatus(`Reconnecting (attempt ${attempt})…`));
  client.on(ClientEvent.Disconnected, ({ error }) => setStatus(`Disconnected${error ? `: ${error.message}` : ''}`, true));
  window.dataReceived = [];
  call.addEventListener('caas-joined', (e) => {
    const { room } = e.detail;
    window.room = room;
    room.on(CallEvent.DataReceived, (data, participant) => {
      window.dataReceived.push({
        data: typeof data === 'string' ? data : [...new Uint8Array(data)],
        participantId: participant?.participantId,
        userId: participant?.userId,
      });
    });
    setStatus(`In call ${roomId}`);
  });
  call.addEventListener('caas-left', (e) => {
    window.room = undefined;
    setStatus(`Left the call (${e.detail.reason})`);
  });
  call.addEventListener('caas-error', (e) => setStatus(`Call error: ${e.detail.error?.message ?? e.detail.error}`, true));
  call.client = client;
  call.roomId = roomId;
  call.autojoin = params.has('autojoin');

  setStatus('Connecting…');
  await client.connect();
  document.getElementById('app').hidden = false;
}
