"""The client side of deploy/compose-smoke.sh: everything goes through the gateway.

Needs `websockets` and `pycrdt` (the smoke installs them in a venv). Reads:
  GATEWAY      http://127.0.0.1:PORT of the gateway
  API_KEY, API_SECRET   an app made with `caas app create`
  TURN_SECRET  the cluster's CAAS_TURN_SECRET; TURN_ADDR  host:port of coturn
Prints one `[compose] …` line per check with its time, and `TIMINGS {json}` at the end.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import struct
import sys
import time
import urllib.error
import urllib.request

from pycrdt import Doc, Text, YMessageType, create_sync_message, create_update_message, handle_sync_message
from websockets.asyncio.client import connect

GATEWAY = os.environ["GATEWAY"].rstrip("/")
WS_BASE = "ws" + GATEWAY[len("http"):]
API_KEY = os.environ["API_KEY"]
API_SECRET = os.environ["API_SECRET"]
TURN_SECRET = os.environ["TURN_SECRET"]
TURN_HOST, TURN_PORT = os.environ.get("TURN_ADDR", "127.0.0.1:3478").rsplit(":", 1)
NODES = {"caas-1", "caas-2"}
TIMINGS = {}


def log(msg):
    print(f"[compose] {msg}", flush=True)


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def http(method, path, *, token=None, basic=None, body=None, raw=None, ok=(200, 201)):
    """One request through the gateway: (status, headers, bytes)."""
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if raw is not None:
        data = raw
        headers["content-type"] = "application/octet-stream"
    if token:
        headers["authorization"] = f"Bearer {token}"
    if basic:
        headers["authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    req = urllib.request.Request(GATEWAY + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, hdrs, out = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, out = e.code, e.headers, e.read()
    if ok and status not in ok:
        raise Fail(f"{method} {path}: {status} {out[:300]!r}")
    return status, hdrs, out


class Step:
    """Times a named step."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t0 = time.monotonic()
        return self

    def __exit__(self, kind, *_):
        if kind is None:
            TIMINGS[self.name] = round(time.monotonic() - self.t0, 2)


def session(user_id):
    # A key made by the CLI reaches every node's directory within a second or so
    # (CAAS_DIRECTORY_REFRESH_SECS at most): ask until both nodes know it.
    deadline = time.monotonic() + 15
    while True:
        status, _, out = http("POST", "/v1/admin/sessions", basic=(API_KEY, API_SECRET),
                              body={"user_id": user_id, "name": user_id.title()}, ok=None)
        if status == 200:
            return json.loads(out)["token"]
        if time.monotonic() > deadline:
            raise Fail(f"no session for {user_id}: {status} {out[:300]!r}")
        time.sleep(0.3)


class Client:
    """A /v1/ws connection: request/reply by id, events queued."""

    def __init__(self, name, ws):
        self.name, self.ws = name, ws
        self.node = ws.response.headers.get("x-caas-node")
        self.next_id = 0
        self.replies = {}
        self.events = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        async for frame in self.ws:
            msg = json.loads(frame)
            if "event" in msg:
                await self.events.put(msg)
            elif msg.get("id") in self.replies:
                self.replies.pop(msg["id"]).set_result(msg)

    async def op(self, op, data):
        self.next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self.replies[self.next_id] = fut
        await self.ws.send(json.dumps({"id": self.next_id, "op": op, "data": data}))
        reply = await asyncio.wait_for(fut, 10)
        check(reply.get("ok"), f"{self.name}: {op} failed: {reply}")
        return reply["data"]

    async def event(self, name, pred=lambda d: True, timeout=10):
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise Fail(f"{self.name} (on {self.node}): no {name} event within {timeout} s")
            msg = await asyncio.wait_for(self.events.get(), left)
            if msg["event"] == name and pred(msg["data"]):
                return msg["data"]

    async def close(self):
        await self.ws.close()
        self.reader.cancel()


async def open_on_other_node(url_for, avoid, tries=6, **kw):
    """Opens WebSockets until one lands on a node other than `avoid` (round-robin makes
    that the next one unless something else came in between)."""
    for _ in range(tries):
        ws = await connect(url_for(), **kw)
        node = ws.response.headers.get("x-caas-node")
        if node in NODES and node != avoid:
            return ws
        await ws.close()
    raise Fail(f"no WebSocket landed on a node other than {avoid} in {tries} tries")


async def chat(tokens):
    ann_ws = await connect(f"{WS_BASE}/v1/ws?token={tokens['ann']}")
    ann = Client("ann", ann_ws)
    check(ann.node in NODES, f"ann's WebSocket has no x-caas-node header: {ann.node!r}")
    bob = Client("bob", await open_on_other_node(lambda: f"{WS_BASE}/v1/ws?token={tokens['bob']}", ann.node))
    await ann.event("session.ready")
    await bob.event("session.ready")
    log(f"ok: WebSockets through the gateway: ann on {ann.node}, bob on {bob.node}")

    conv = (await ann.op("conversation.create", {"kind": "direct", "members": ["bob"]}))["conversation"]
    await bob.event("conversation.created", lambda d: d["conversation"]["id"] == conv["id"])
    t0 = time.monotonic()
    sent = (await ann.op("message.send", {"conversation_id": conv["id"], "text": "hello across nodes",
                                          "client_msg_id": "smoke-1"}))["message"]
    got = await bob.event("message.new", lambda d: d["message"]["id"] == sent["id"])
    check(got["message"]["text"] == "hello across nodes", f"bob got {got}")
    TIMINGS["message_cross_node_ms"] = round((time.monotonic() - t0) * 1000, 1)
    reply = (await bob.op("message.send", {"conversation_id": conv["id"], "text": "hi back"}))["message"]
    await ann.event("message.new", lambda d: d["message"]["id"] == reply["id"])
    log(f"ok: message {ann.node} -> {bob.node} in {TIMINGS['message_cross_node_ms']} ms, and back")
    return ann, bob, conv


async def files(tokens, ann, bob, conv):
    body = secrets.token_bytes(48 * 1024) + b"compose smoke\n"
    _, hdrs, out = http("POST", "/v1/files?name=smoke.bin", token=tokens["ann"], raw=body)
    meta = json.loads(out)
    meta = meta.get("file", meta)
    up_node = hdrs.get("x-caas-node")
    check(meta.get("size") == len(body), f"upload answered {meta}")
    sent = (await ann.op("message.send", {"conversation_id": conv["id"], "text": "",
                                          "attachments": [meta["id"]]}))["message"]
    got = await bob.event("message.new", lambda d: d["message"]["id"] == sent["id"])
    check([a["id"] for a in got["message"]["attachments"]] == [meta["id"]], f"attachment missing: {got}")
    # Download as bob until another node than the uploader's serves it.
    for _ in range(4):
        _, hdrs, data = http("GET", f"/v1/files/{meta['id']}", token=tokens["bob"])
        check(data == body, f"download differs ({len(data)} bytes, {len(body)} sent)")
        if hdrs.get("x-caas-node") != up_node:
            break
    else:
        raise Fail(f"every download was served by {up_node}")
    log(f"ok: file of {len(body)} bytes uploaded via {up_node}, attached, downloaded by bob via "
        f"{hdrs.get('x-caas-node')} (S3 store)")
    print(f"FILE {meta['id']}", flush=True)


class CollabPeer:
    """A minimal y-websocket client on pycrdt: sync step 1/2 and updates."""

    def __init__(self, name, ws):
        self.name, self.ws = name, ws
        self.node = ws.response.headers.get("x-caas-node")
        self.doc = Doc()
        self.text = self.doc.get("t", type=Text)
        self.denied = []
        self.remote = False
        self.out = asyncio.Queue()
        self.doc.observe(self._local_update)
        self.tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._write())]

    def _local_update(self, event):
        if not self.remote:
            self.out.put_nowait(create_update_message(event.update))

    async def _write(self):
        await self.ws.send(create_sync_message(self.doc))
        while True:
            await self.ws.send(await self.out.get())

    async def _read(self):
        async for msg in self.ws:
            if isinstance(msg, str) or not msg:
                continue
            if msg[0] == YMessageType.SYNC:
                self.remote = True
                try:
                    reply = handle_sync_message(msg[1:], self.doc)
                finally:
                    self.remote = False
                if reply is not None:
                    await self.out.put(reply)
            elif msg[0] == 2:  # y-protocols auth: permission denied
                self.denied.append(msg)

    async def close(self):
        for t in self.tasks:
            t.cancel()
        await self.ws.close()


async def collab(tokens):
    _, _, out = http("POST", "/v1/docs", token=tokens["ann"],
                     body={"kind": "doc", "title": "smoke", "roles": {"bob": "editor"}})
    doc = json.loads(out)
    doc_id = doc.get("doc", doc)["id"]
    url = lambda who: f"{WS_BASE}/v1/collab/{doc_id}?token={tokens[who]}"  # noqa: E731
    a = CollabPeer("ann", await connect(url("ann"), max_size=4 << 20))
    b = CollabPeer("bob", await open_on_other_node(lambda: url("bob"), a.node, max_size=4 << 20))
    check(a.node in NODES, f"collab socket has no x-caas-node: {a.node!r}")
    await asyncio.sleep(0.3)
    t0 = time.monotonic()
    a.text.insert(0, "ann was here. ")
    b.text.insert(0, "bob too. ")
    a.text.insert(len(a.text), "the end.")
    deadline = time.monotonic() + 10
    while True:
        sa, sb = str(a.text), str(b.text)
        if sa == sb and all(p in sa for p in ("ann was here. ", "bob too. ", "the end.")):
            break
        if time.monotonic() > deadline:
            raise Fail(f"collab did not converge: ann {sa!r} ({a.node}), bob {sb!r} ({b.node})")
        await asyncio.sleep(0.05)
    TIMINGS["collab_converge_ms"] = round((time.monotonic() - t0) * 1000, 1)
    check(not a.denied and not b.denied, f"collab update refused: {a.denied or b.denied}")
    # What the nodes stored: the REST view of the document has the same text.
    for _ in range(20):
        _, _, out = http("GET", f"/v1/docs/{doc_id}", token=tokens["bob"])
        if json.loads(out).get("content", {}).get("t") == sa:
            break
        await asyncio.sleep(0.2)
    else:
        raise Fail(f"stored document differs: {out[:300]!r}")
    await a.close()
    await b.close()
    log(f"ok: collab doc edited by ann on {a.node} and bob on {b.node}: converged in "
        f"{TIMINGS['collab_converge_ms']} ms to {sa!r}, stored the same")


def turn_allocate(username, password):
    """A TURN Allocate (RFC 5766) with long-term credentials; returns the relayed address."""
    cookie = 0x2112A442

    def attr(t, v):
        return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)

    def message(mtype, attrs, key=None):
        tid = secrets.token_bytes(12)
        body = b"".join(attr(t, v) for t, v in attrs)
        if key is not None:
            head = struct.pack("!HHI12s", mtype, len(body) + 24, cookie, tid)
            body += attr(0x0008, hmac.new(key, head + body, hashlib.sha1).digest())
        return struct.pack("!HHI12s", mtype, len(body), cookie, tid) + body

    def parse(data):
        mtype, length = struct.unpack("!HH", data[:4])
        attrs, i = {}, 20
        while i < 20 + length:
            t, n = struct.unpack("!HH", data[i:i + 4])
            attrs[t] = data[i + 4:i + 4 + n]
            i += 4 + n + (-n % 4)
        return mtype, attrs

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(3)
    transport = bytes([17, 0, 0, 0])  # REQUESTED-TRANSPORT: UDP
    try:
        sock.sendto(message(0x0003, [(0x0019, transport)]), (TURN_HOST, int(TURN_PORT)))
        mtype, attrs = parse(sock.recv(2048))
        check(mtype == 0x0113 and 0x0014 in attrs and 0x0015 in attrs, "TURN did not ask for credentials")
        realm, nonce = attrs[0x0014], attrs[0x0015]
        key = hashlib.md5(username.encode() + b":" + realm + b":" + password.encode()).digest()
        sock.sendto(message(0x0003, [(0x0019, transport), (0x0006, username.encode()), (0x0014, realm),
                                     (0x0015, nonce)], key), (TURN_HOST, int(TURN_PORT)))
        mtype, attrs = parse(sock.recv(2048))
    finally:
        sock.close()
    if mtype != 0x0103:
        err = attrs.get(0x0009, b"")
        raise Fail(f"TURN Allocate refused: type {mtype:#06x} {err[4:]!r}")
    relayed = attrs[0x0016]
    port = struct.unpack("!H", relayed[2:4])[0] ^ (cookie >> 16)
    ip = socket.inet_ntoa(struct.pack("!I", struct.unpack("!I", relayed[4:8])[0] ^ cookie))
    return f"{ip}:{port}"


async def call(ann, bob):
    joined = {}
    for c in (ann, bob):
        joined[c.name] = await c.op("call.join", {"room_id": "smoke-call"})
        check(joined[c.name].get("participant_id"), f"{c.name}: call.join gave no participant_id")
    ice = joined["bob"]["ice_servers"]
    turn = [s for s in ice if any(u.startswith("turn:") for u in s.get("urls", []))]
    check(turn and turn[0].get("username") and turn[0].get("credential"), f"no TURN credentials in {ice}")
    user, cred = turn[0]["username"], turn[0]["credential"]
    expected = base64.b64encode(hmac.new(TURN_SECRET.encode(), user.encode(), hashlib.sha1).digest()).decode()
    check(cred == expected, "TURN credential is not HMAC-SHA1(CAAS_TURN_SECRET, username)")
    relayed = turn_allocate(user, cred)
    others = len(joined["bob"].get("participants", []))
    # One room on one node, whichever node each WebSocket is on (docs/calls.md, "In a cluster").
    check(others == 1, f"bob on {bob.node} does not see ann on {ann.node} in the call: {joined['bob']}")
    check(joined["ann"].get("node") == joined["bob"].get("node"), f"the room is on two nodes: {joined}")
    for c in (ann, bob):
        await c.op("call.leave", {"room_id": "smoke-call"})
    log(f"ok: call.join: ann {joined['ann']['participant_id']} on {ann.node}, bob "
        f"{joined['bob']['participant_id']} on {bob.node} (bob sees ann; the room is on node {joined['bob'].get('node')}); "
        f"ice_servers {turn[0]['urls']} with credentials; coturn accepted them (relay {relayed})")


async def main():
    t_all = time.monotonic()
    with Step("sessions"):
        tokens = {u: session(u) for u in ("ann", "bob")}
        # The app's signing key is new to the node that did not make it: it is
        # accepted at once anyway (docs/architecture.md, "Directory"). Ask until
        # both nodes have answered (round robin); any refusal fails.
        accepted, deadline = set(), time.monotonic() + 10
        while accepted != NODES:
            for u, tok in tokens.items():
                status, hdrs, out = http("GET", "/v1/me", token=tok, ok=None)
                if status != 200:
                    raise Fail(f"/v1/me for {u}: {status} {out[:200]!r} (accepted so far by {accepted})")
                check(json.loads(out).get("id") == u, f"/v1/me for {u}: {out[:200]!r}")
                accepted.add(hdrs.get("x-caas-node"))
            check(time.monotonic() < deadline, f"the gateway did not reach both nodes: {accepted}")
    log(f"ok: sessions for ann and bob through the admin API; /v1/me answers on both nodes "
        f"({TIMINGS['sessions']} s)")
    with Step("chat"):
        ann, bob, conv = await chat(tokens)
    with Step("files"):
        await files(tokens, ann, bob, conv)
    with Step("collab"):
        await collab(tokens)
    with Step("call"):
        await call(ann, bob)
    await ann.close()
    await bob.close()
    TIMINGS["client_total"] = round(time.monotonic() - t_all, 2)
    print("TIMINGS " + json.dumps(TIMINGS), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except Fail as e:
        log(f"FAIL: {e}")
        sys.exit(1)
