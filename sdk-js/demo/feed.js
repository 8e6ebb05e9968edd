// The CAAS feed demo: signs in through POST /demo/session like the chat demo,
// then shows <caas-feed> (home, explore, or a profile with ?mode=profile&profile=<id>)
// and <caas-notifications> in the bar. The Follow form follows another user
// (POST /v1/users/{id}/follow), whose posts then show in the home feed.
//
// Test hooks (used by sdk-js/browser/feed.test.ts): `window.client` is the
// CaasClient; the status reads `Connected` once the socket is up.
import { CaasClient, ClientEvent } from '/demo/sdk/index.js';
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
    location.search = new URLSearchParams({ user: String(new FormData(form).get('user')).trim() }).toString();
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
  document.getElementById('me').textContent = `as ${id}`;
  document.title = `${id} · CAAS feed demo`;
  const client = new CaasClient({ url: location.origin, tokenProvider: () => demoToken(id) });
  window.client = client;
  client.on(ClientEvent.Connected, ({ resumed }) => setStatus(resumed ? 'Connected (resumed)' : 'Connected'));
  client.on(ClientEvent.Reconnecting, ({ attempt }) => setStatus(`Reconnecting (attempt ${attempt})…`));
  client.on(ClientEvent.Disconnected, ({ error }) => setStatus(`Disconnected${error ? `: ${error.message}` : ''}`, true));

  const feed = document.querySelector('caas-feed');
  const bell = document.getElementById('bell');

  const show = (mode, profile) => {
    feed.mode = mode;
    feed.userId = mode === 'profile' ? profile : undefined;
    const url = new URL(location.href);
    url.searchParams.set('mode', mode);
    if (mode === 'profile') url.searchParams.set('profile', profile);
    else url.searchParams.delete('profile');
    history.replaceState(null, '', url);
    for (const a of document.querySelectorAll('nav a[data-mode]')) {
      const current = a.dataset.mode === mode && (mode !== 'profile' || profile === id);
      if (current) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  };
  for (const a of document.querySelectorAll('nav a[data-mode]')) {
    a.addEventListener('click', (e) => {
      e.preventDefault();
      show(a.dataset.mode, id);
    });
  }
  feed.addEventListener('caas-profile', (e) => show('profile', e.detail.userId));
  feed.addEventListener('caas-error', (e) => setStatus(`${e.detail.action}: ${e.detail.error?.message ?? e.detail.error}`, true));
  bell.addEventListener('caas-notification-click', (e) => {
    const n = e.detail.notification;
    // Likes and comments are about one's own posts; follows about the follower.
    if (n.data.object_id) show('profile', id);
    else if (n.category === 'follow' && n.actor_id) show('profile', n.actor_id);
  });

  const follow = document.getElementById('follow');
  follow.addEventListener('submit', async (e) => {
    e.preventDefault();
    const other = follow.elements.followee.value.trim();
    if (!other || other === id) return;
    try {
      await client.rest.post(`/v1/users/${encodeURIComponent(other)}/follow`);
      follow.reset();
      setStatus(`Following ${other}`);
      feed.reload();
    } catch (error) {
      setStatus(`Could not follow ${other}: ${error.message}`, true);
    }
  });

  // Components first, so that no event is missed; then connect.
  show(params.get('mode') ?? 'home', params.get('profile') ?? id);
  feed.client = client;
  bell.client = client;
  setStatus('Connecting…');
  await client.connect();
  document.getElementById('app').hidden = false;
  follow.hidden = false;
}
