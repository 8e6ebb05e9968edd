/**
 * Test support (not part of the package): stand-ins for the browser's WebRTC
 * and media objects, enough for {@link CallRoom}'s signaling to run in Node.
 * The peer connection follows the signaling state machine strictly (an offer
 * applied while another is pending throws), so tests catch overlapping
 * negotiations.
 */

import type { CallMedia } from '../calls/media.js';

let nextId = 0;

/** A `MediaStreamTrack` double. */
export class FakeTrack {
  readonly id: string;
  enabled = true;
  readyState: 'live' | 'ended' = 'live';
  contentHint = '';
  /** Constraints it was captured with, if any. */
  constraints: MediaTrackConstraints | undefined;
  private readonly listeners = new Map<string, Array<() => void>>();

  constructor(
    readonly kind: 'audio' | 'video',
    readonly label = `${kind} ${++nextId}`,
  ) {
    this.id = `track-${++nextId}`;
  }

  addEventListener(type: string, listener: () => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  removeEventListener(type: string, listener: () => void): void {
    this.listeners.set(type, (this.listeners.get(type) ?? []).filter((l) => l !== listener));
  }

  /** Like the browser: stopping does not fire `ended`. */
  stop(): void {
    this.readyState = 'ended';
  }

  /** The browser ends it (e.g. the user clicked "Stop sharing"). */
  end(): void {
    this.readyState = 'ended';
    for (const l of this.listeners.get('ended') ?? []) l();
  }
}

/** A `MediaStream` double. */
export class FakeStream {
  readonly id = `stream-${++nextId}`;
  constructor(readonly tracks: FakeTrack[]) {}
  getTracks(): FakeTrack[] {
    return [...this.tracks];
  }
  getAudioTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks(): FakeTrack[] {
    return this.tracks.filter((t) => t.kind === 'video');
  }
}

/** An `RTCRtpSender` double. */
export class FakeSender {
  readonly replaced: Array<FakeTrack | null> = [];
  constructor(public track: FakeTrack | null) {}
  async replaceTrack(track: FakeTrack | null): Promise<void> {
    await Promise.resolve();
    this.replaced.push(track);
    this.track = track;
  }
}

/** An `RTCRtpTransceiver` double. */
export class FakeTransceiver {
  mid: string | null = null;
  currentDirection: RTCRtpTransceiverDirection | null = null;
  readonly sender: FakeSender;
  readonly receiver: { track: FakeTrack };

  constructor(
    public direction: RTCRtpTransceiverDirection,
    kind: 'audio' | 'video',
    sending: FakeTrack | null,
    readonly init: RTCRtpTransceiverInit | undefined,
  ) {
    this.sender = new FakeSender(sending);
    this.receiver = { track: new FakeTrack(kind, `remote ${kind}`) };
  }

  stop(): void {
    this.direction = 'stopped';
    this.currentDirection = 'stopped';
  }
}

/**
 * An `RTCDataChannel` double: `connecting` until {@link FakeDataChannel.open};
 * records what is sent, and {@link FakeDataChannel.receive} delivers a message.
 */
export class FakeDataChannel {
  readyState: RTCDataChannelState = 'connecting';
  binaryType: BinaryType = 'blob';
  /** What was sent, in order. */
  readonly sent: Array<string | ArrayBuffer | ArrayBufferView> = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  /** When set, the next `send` throws an error of this name (e.g. `OperationError`: the buffer is full). */
  failSend: string | undefined;

  constructor(
    readonly label: string,
    readonly init: RTCDataChannelInit | undefined,
  ) {}

  /** Like the browser: sending on a channel that is not open throws `InvalidStateError`. */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 'open') throw named('InvalidStateError');
    if (this.failSend) throw named(this.failSend);
    this.sent.push(data);
  }

  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.onclose?.();
  }

  /** The channel opens (the media connection is up). */
  open(): void {
    this.readyState = 'open';
    this.onopen?.();
  }

  /** A message arrives from the server. */
  receive(data: unknown): void {
    this.onmessage?.({ data });
  }
}

/** An `RTCPeerConnection` double with a strict signaling state machine. */
export class FakePeerConnection {
  readonly transceivers: FakeTransceiver[] = [];
  readonly channels: FakeDataChannel[] = [];
  signalingState: RTCSignalingState = 'stable';
  connectionState: RTCPeerConnectionState = 'new';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  onicecandidate: ((event: { candidate: Partial<RTCIceCandidate> | null }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  /** Every signaling step, in order: `createDataChannel:caas`, `createOffer`, `setLocal:offer`, `setRemote:answer`, … */
  readonly log: string[] = [];
  private nextMid = 0;
  private offers = 0;
  private answers = 0;
  private assignedInOffer: FakeTransceiver[] = [];

  constructor(readonly config: RTCConfiguration) {}

  addTransceiver(track: FakeTrack, init?: RTCRtpTransceiverInit): FakeTransceiver {
    const t = new FakeTransceiver(init?.direction ?? 'sendrecv', track.kind, track, init);
    this.transceivers.push(t);
    return t;
  }

  createDataChannel(label: string, init?: RTCDataChannelInit): FakeDataChannel {
    this.log.push(`createDataChannel:${label}`);
    if (this.signalingState === 'closed') throw named('InvalidStateError');
    const channel = new FakeDataChannel(label, init);
    this.channels.push(channel);
    return channel;
  }

  /** The first data channel (the call's). */
  get channel(): FakeDataChannel {
    const channel = this.channels[0];
    if (!channel) throw new Error('no data channel');
    return channel;
  }

  getTransceivers(): FakeTransceiver[] {
    return [...this.transceivers];
  }

  async createOffer(): Promise<RTCSessionDescriptionInit> {
    this.log.push('createOffer');
    await Promise.resolve();
    this.expect('stable', 'createOffer');
    return { type: 'offer', sdp: `client offer ${++this.offers}` };
  }

  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    this.log.push('createAnswer');
    await Promise.resolve();
    this.expect('have-remote-offer', 'createAnswer');
    return { type: 'answer', sdp: `client answer ${++this.answers}` };
  }

  async setLocalDescription(desc: RTCSessionDescriptionInit): Promise<void> {
    this.log.push(`setLocal:${desc.type}`);
    await Promise.resolve();
    if (desc.type === 'rollback') {
      this.expect('have-local-offer', 'rollback');
      for (const t of this.assignedInOffer) t.mid = null;
      this.assignedInOffer = [];
      this.signalingState = 'stable';
      return;
    }
    if (desc.type === 'offer') {
      this.expect('stable', 'setLocalDescription(offer)');
      this.assignedInOffer = [];
      for (const t of this.transceivers) {
        if (t.mid === null && t.direction !== 'stopped') {
          t.mid = String(this.nextMid++);
          this.assignedInOffer.push(t);
        }
      }
      this.signalingState = 'have-local-offer';
    } else {
      this.expect('have-remote-offer', 'setLocalDescription(answer)');
      for (const t of this.transceivers) if (t.direction !== 'stopped') t.currentDirection = t.direction;
      this.signalingState = 'stable';
    }
    this.localDescription = { type: desc.type, sdp: desc.sdp ?? '' };
  }

  async setRemoteDescription(desc: RTCSessionDescriptionInit): Promise<void> {
    this.log.push(`setRemote:${desc.type}`);
    await Promise.resolve();
    if (desc.type === 'answer') {
      this.expect('have-local-offer', 'setRemoteDescription(answer)');
      for (const t of this.transceivers) if (t.direction !== 'stopped') t.currentDirection = t.direction;
      this.assignedInOffer = [];
      this.signalingState = 'stable';
    } else {
      this.expect('stable', 'setRemoteDescription(offer)');
      // New m-sections of the server's offer become receiving transceivers.
      for (const { kind, mid } of sections(desc.sdp ?? '')) {
        if (this.transceivers.some((t) => t.mid === mid)) continue;
        const t = new FakeTransceiver('recvonly', kind, null, undefined);
        t.mid = mid;
        this.transceivers.push(t);
        this.nextMid = Math.max(this.nextMid, Number(mid) + 1);
      }
      this.signalingState = 'have-remote-offer';
    }
    this.remoteDescription = { type: desc.type, sdp: desc.sdp ?? '' };
  }

  async getStats(): Promise<Map<string, unknown>> {
    return new Map();
  }

  close(): void {
    this.log.push('close');
    this.signalingState = 'closed';
    this.connectionState = 'closed';
  }

  /** Fires `icecandidate` (`null`: gathering complete). */
  gather(candidate: string | null, sdpMid = '0'): void {
    this.onicecandidate?.({
      candidate: candidate === null ? null : { candidate, sdpMid, sdpMLineIndex: Number(sdpMid), usernameFragment: 'uf' },
    });
  }

  /** Changes `connectionState` and fires `connectionstatechange`. */
  setConnectionState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.();
  }

  private expect(state: RTCSignalingState, what: string): void {
    if (this.signalingState !== state) {
      const error = new Error(`${what} in signaling state ${this.signalingState}`);
      error.name = 'InvalidStateError';
      throw error;
    }
  }
}

/** The media m-sections (`m=<kind>`, `a=mid:<mid>`) of an SDP; `m=application` is left out. */
function sections(sdp: string): Array<{ kind: 'audio' | 'video'; mid: string }> {
  const out: Array<{ kind: 'audio' | 'video'; mid: string }> = [];
  let kind: 'audio' | 'video' | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) kind = line.startsWith('m=audio') ? 'audio' : line.startsWith('m=video') ? 'video' : undefined;
    else if (line.startsWith('a=mid:') && kind) out.push({ kind, mid: line.slice(6).trim() });
  }
  return out;
}

/** A server offer's SDP with one m-section per entry, each with its `a=msid`. */
export function serverSdp(
  sections: Array<{ mid: string; kind: 'audio' | 'video'; participant?: string; track?: string; rejected?: boolean }>,
  version = 1,
): string {
  const lines = ['v=0', `o=- 1 ${version} IN IP4 127.0.0.1`, 's=-', 't=0 0'];
  for (const s of sections) {
    lines.push(`m=${s.kind} ${s.rejected ? 0 : 9} UDP/TLS/RTP/SAVPF 96`, `a=mid:${s.mid}`);
    if (s.participant && s.track) lines.push(`a=msid:${s.participant} ${s.track}`);
    lines.push('a=sendonly');
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Fake media for {@link CallsApi.join}: peer connections and captures, recorded. */
export class FakeMedia {
  readonly pcs: FakePeerConnection[] = [];
  readonly userMediaCalls: MediaStreamConstraints[] = [];
  readonly displayMediaCalls: DisplayMediaStreamOptions[] = [];
  readonly captured: FakeTrack[] = [];
  /** When set, the next captures fail with a DOMException-like error of this name. */
  failUserMedia: string | undefined;
  failDisplayMedia: string | undefined;

  /** The latest peer connection. */
  get pc(): FakePeerConnection {
    const pc = this.pcs[this.pcs.length - 1];
    if (!pc) throw new Error('no peer connection yet');
    return pc;
  }

  /** As the `peerConnectionFactory`, `getUserMedia` and `getDisplayMedia` options. */
  get options(): CallMedia {
    return {
      peerConnectionFactory: (config) => {
        const pc = new FakePeerConnection(config);
        this.pcs.push(pc);
        return pc as unknown as RTCPeerConnection;
      },
      getUserMedia: async (constraints) => {
        this.userMediaCalls.push(constraints);
        if (this.failUserMedia) throw named(this.failUserMedia);
        const tracks: FakeTrack[] = [];
        for (const kind of ['audio', 'video'] as const) {
          const c = constraints[kind];
          if (!c) continue;
          const track = new FakeTrack(kind);
          if (typeof c === 'object') track.constraints = c;
          tracks.push(track);
        }
        this.captured.push(...tracks);
        return new FakeStream(tracks) as unknown as MediaStream;
      },
      getDisplayMedia: async (options) => {
        this.displayMediaCalls.push(options);
        if (this.failDisplayMedia) throw named(this.failDisplayMedia);
        const tracks = [new FakeTrack('video', 'screen')];
        if (options.audio) tracks.push(new FakeTrack('audio', 'screen audio'));
        this.captured.push(...tracks);
        return new FakeStream(tracks) as unknown as MediaStream;
      },
    };
  }
}

function named(name: string): Error {
  const error = new Error(`${name} (fake)`);
  error.name = name;
  return error;
}
