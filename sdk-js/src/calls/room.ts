/**
 * {@link CallRoom}: one call this client is in. Holds the peer connection with
 * the server's SFU and wires the parts of the room: its negotiation
 * (signaling.ts), the other participants (roster.ts), the local
 * tracks (publisher.ts) and the data channel (data.ts); routes the
 * server's events to them; joins again on a new peer connection when the
 * node holding the room dies or the connection drops (the policy in
 * rejoin.ts).
 *
 * @packageDocumentation
 */

import { CallData } from './data.js';
import { asCallError, type CallOp, type CallRoomSettings, type RoomCore } from './core.js';
import { CallEvent, type CallDisconnectReason, type CallReconnectReason, type CallRoomEventMap } from './events.js';
import type { CallMedia, Capture } from './media.js';
import {
  LocalParticipant,
  type LocalTrackPublication,
  type Participant,
  type RemoteParticipant,
} from './participants.js';
import { CallPublisher } from './publisher.js';
import { rejoinLoop, type ResolvedCallReconnect } from './rejoin.js';
import { CallRoster } from './roster.js';
import { CallSignaling } from './signaling.js';
import type { CaasClient } from '../client/client.js';
import { CallError, CallErrorCode, type CaasError } from '../core/errors.js';
import { TypedEmitter } from '../client/events.js';
import type { Ops } from '../client/ops.js';
import type {
  CallIceServer,
  CallJoinReply,
  CallOfferEvent,
  CallParticipantJoinedEvent,
  CallParticipantLeftEvent,
  CallSpeakersEvent,
  CallTrackMutedEvent,
  CallTrackPublishedEvent,
  CallTrackUnpublishedEvent,
} from './types.js';

/**
 * State of a {@link CallRoom}: `joining` until its first negotiation is
 * answered, then `joined`; `reconnecting` while it joins again on its own
 * (back to `joined`, {@link CallEvent.Reconnected}); `left` for good.
 */
export type CallRoomState = 'joining' | 'joined' | 'reconnecting' | 'left';

/** What {@link CallsApi.join} hands its new room. */
export interface CallRoomInit {
  client: CaasClient;
  roomId: string;
  reply: CallJoinReply;
  media: CallMedia;
  settings: CallRoomSettings;
  /** The tracks captured for joining, published by {@link CallRoom.start}. */
  captures: Capture[];
  /** How to join again after a lost node or connection; `false`: end the room instead. */
  reconnect: ResolvedCallReconnect | false;
  /** Called once when the room ends, before {@link CallEvent.Disconnected}. */
  onEnded: (room: CallRoom) => void;
}

/**
 * One call this client is in, from {@link CallsApi.join}: the local
 * participant and what it publishes, the remote participants and their
 * tracks, the active speakers, in-call data messages, and typed events
 * ({@link CallEvent}).
 *
 * ```ts
 * const room = await client.calls.join('standup', { audio: true, video: true });
 * room.on(CallEvent.TrackSubscribed, (track, publication, participant) => {
 *   tileOf(participant).attach(track);
 * });
 * room.on(CallEvent.DataReceived, (data, participant) => console.log(participant?.userId, data));
 * await room.localParticipant.setMicrophoneEnabled(false);
 * await room.sendData('hello');
 * await room.leave();
 * ```
 *
 * Every negotiation of its peer connection runs one at a time: a local change
 * (screen share, a new microphone) waits for a server offer being answered,
 * and the other way round. A server offer that crossed a local offer is
 * dropped, as docs/calls.md says the server does.
 *
 * When the node holding the room dies (`call.participant_left` with reason
 * `node_lost`) or the real-time connection drops, the room joins again on its
 * own ({@link CallEvent.Reconnecting}, then {@link CallEvent.Reconnected}): a
 * new `call.join`, a new peer connection with the new ICE servers, the same
 * local tracks published again. It gives up after the `reconnect` bounds of
 * the join (3 attempts within 30 s by default) with reason `reconnect_failed`.
 */
export class CallRoom extends TypedEmitter<CallRoomEventMap> {
  /** The room id. */
  readonly roomId: string;
  /** This client in the room. */
  readonly localParticipant: LocalParticipant;

  private readonly client: CaasClient;
  private readonly onEnded: (room: CallRoom) => void;
  private readonly media: CallMedia;
  private readonly reconnectPolicy: ResolvedCallReconnect | false;
  private readonly core: RoomCore;
  private pc: RTCPeerConnection;
  private readonly signaling: CallSignaling;
  private readonly roster: CallRoster;
  private readonly publisher: CallPublisher;
  private data: CallData;
  private ice: readonly CallIceServer[];
  private nodeId: string | undefined;
  private initialCaptures: Capture[];
  private roomState: CallRoomState = 'joining';
  /** The requests of the current peer connection; aborted when the room joins again. */
  private session = new Session();
  /** The room's events held while a `call.join` of rejoining awaits its reply. */
  private held: Array<[event: string, data: unknown]> | undefined;

  /** @internal Use {@link CallsApi.join}. */
  constructor(init: CallRoomInit) {
    super();
    this.client = init.client;
    this.roomId = init.roomId;
    this.onEnded = init.onEnded;
    this.media = init.media;
    this.reconnectPolicy = init.reconnect;
    this.initialCaptures = init.captures;
    this.ice = init.reply.ice_servers;
    this.nodeId = init.reply.node;
    this.localParticipant = new LocalParticipant(init.reply.participant_id, init.client.user?.id ?? '', {
      setEnabled: (source, enabled) => this.publisher.controls.setEnabled(source, enabled),
      startScreenShare: (options) => this.publisher.controls.startScreenShare(options),
      stopScreenShare: () => this.publisher.controls.stopScreenShare(),
      switchDevice: (kind, deviceId) => this.publisher.controls.switchDevice(kind, deviceId),
    });
    this.pc = this.newPeerConnection();
    const room = this;
    const core: RoomCore = {
      roomId: this.roomId,
      get pc() {
        return room.pc;
      },
      localParticipant: this.localParticipant,
      media: init.media,
      settings: init.settings,
      get isLeft() {
        return room.roomState === 'left';
      },
      emit: (event, ...args) => {
        this.emit(event, ...args);
      },
      request: (op, data) => this.request(op, data),
      assertOpen: () => this.assertOpen(),
    };
    this.core = core;
    this.roster = new CallRoster(core, init.reply.participants);
    this.signaling = new CallSignaling(core, {
      sources: () => this.publisher.sources(),
      remoteTracks: (mids) => this.roster.setMids(mids),
      failed: (error) => this.emit(CallEvent.Error, error),
    });
    this.publisher = new CallPublisher(core, this.signaling);
    // Before the first offer: every offer then has an application section.
    this.data = this.newData();
  }

  /** `joining` until the first negotiation is answered, `joined` (`reconnecting` while joining again), then `left` for good. */
  get state(): CallRoomState {
    return this.roomState;
  }

  /** The ICE servers from the latest `call.join`. */
  get iceServers(): readonly CallIceServer[] {
    return this.ice;
  }

  /** In a cluster: the node whose SFU holds the room, from the latest `call.join` (`undefined` from a server that does not say). */
  get node(): string | undefined {
    return this.nodeId;
  }

  /** State of the media connection (the peer connection's `connectionState`). */
  get connectionState(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** State of the data channel: `connecting` until the media connection is up, then `open` ({@link CallEvent.DataChannelStateChanged}). */
  get dataChannelState(): RTCDataChannelState {
    return this.data.state;
  }

  /** The other participants, by participant id. */
  get remoteParticipants(): ReadonlyMap<string, RemoteParticipant> {
    return this.roster.remotes;
  }

  /** The active speakers, loudest first (may include the local participant). */
  get activeSpeakers(): readonly Participant[] {
    return this.roster.speakers;
  }

  /**
   * WebRTC statistics of the call (`RTCPeerConnection.getStats`), or of one
   * track's sender or receiver when `track` is given: e.g. `inbound-rtp`
   * entries with `framesDecoded` and `packetsReceived`.
   */
  getStats(track?: MediaStreamTrack): Promise<RTCStatsReport> {
    return this.pc.getStats(track ?? null);
  }

  /**
   * Sends a data message to everyone else in the room over the call's data
   * channel (ordered and reliable; relayed by the server). Text arrives with
   * this client as its sender ({@link CallEvent.DataReceived}); binary arrives
   * as is, without a sender (put your own id inside). The sender does not get
   * its own message back. Resolves once the message is queued on the channel.
   *
   * @param data - text, or bytes (`ArrayBuffer` or a typed array / `DataView`);
   *   at most 64 KiB (`MAX_DATA_MESSAGE_BYTES`).
   * @throws {@link CallError} `data_channel_not_open` before the channel opens
   *   ({@link CallRoom.dataChannelState}), `message_too_large`,
   *   `data_send_failed`, or `call_left`.
   */
  async sendData(data: string | ArrayBuffer | ArrayBufferView): Promise<void> {
    this.data.send(data);
  }

  /**
   * Leaves the room: sends `call.leave`, stops the local tracks and closes the
   * peer connection. Emits {@link CallEvent.Disconnected} with reason `left`.
   * Resolves when the server acknowledged (a failure to reach it is ignored:
   * the server also drops a participant whose connection or media goes).
   */
  async leave(): Promise<void> {
    if (this.roomState === 'left') return;
    const sent = this.client.request('call.leave', { room_id: this.roomId });
    this.end('left');
    await sent.catch(() => undefined);
  }

  /**
   * @internal Publishes the tracks captured for joining with the first
   * `call.offer` (sent even with nothing to publish, since the server offers
   * the others' tracks only after answering it). On failure the room is
   * left and the error thrown.
   */
  async start(): Promise<void> {
    const captures = this.initialCaptures;
    this.initialCaptures = [];
    let pubs: LocalTrackPublication[];
    try {
      pubs = await this.publisher.publishFirst(captures);
    } catch (error) {
      if (this.roomState !== 'left') {
        const sent = this.client.request('call.leave', { room_id: this.roomId }).catch(() => undefined);
        this.end('left');
        await sent;
      }
      throw error;
    }
    this.roomState = 'joined';
    for (const pub of pubs) this.emit(CallEvent.LocalTrackPublished, pub, this.localParticipant);
  }

  /** @internal The client stopped for good (disconnected, or reconnection gave up). */
  lost(error?: CaasError): void {
    this.end('connection_lost', error);
  }

  /**
   * @internal The client's socket dropped (the client reconnects): the server
   * has dropped this participant, so the room joins again once the client is
   * back. A room still joining ends.
   */
  socketLost(): void {
    if (this.roomState === 'joining') this.end('connection_lost');
    else if (this.roomState === 'joined') this.reconnect('connection_lost');
    // Already reconnecting: the attempt under way fails and the next waits for the client.
  }

  /** @internal A server push about this room. */
  handle(event: string, data: unknown): void {
    if (this.roomState === 'left' || typeof data !== 'object' || data === null) return;
    if (this.roomState === 'reconnecting') {
      // Events of the new participant may come before the reply of its call.join; those of the old one are moot.
      this.held?.push([event, data]);
      return;
    }
    const self = this.localParticipant.participantId;
    switch (event) {
      case 'call.offer':
        this.signaling.serverOffer(data as CallOfferEvent);
        break;
      case 'call.participant_joined': {
        const { participant } = data as CallParticipantJoinedEvent;
        if (participant.participant_id !== self) this.roster.participantJoined(participant);
        break;
      }
      case 'call.participant_left': {
        const d = data as CallParticipantLeftEvent;
        if (d.participant_id !== self) this.roster.participantLeft(d.participant_id);
        // Still joining (join() then fails), or removed for its media: the room ends.
        else if (d.reason === 'node_lost' && this.roomState === 'joined') this.reconnect('node_lost');
        else this.end('removed');
        break;
      }
      case 'call.track_published': {
        const d = data as CallTrackPublishedEvent;
        if (d.participant_id === self) this.publisher.trackPublished(d.track);
        else this.roster.trackPublished(d.participant_id, d.track);
        break;
      }
      case 'call.track_unpublished': {
        const d = data as CallTrackUnpublishedEvent;
        if (d.participant_id === self) this.publisher.trackUnpublished(d.track_id);
        else this.roster.trackUnpublished(d.participant_id, d.track_id);
        break;
      }
      case 'call.track_muted': {
        const d = data as CallTrackMutedEvent;
        if (d.participant_id !== self) this.roster.trackMuted(d.participant_id, d.track_id, d.muted);
        break;
      }
      case 'call.speakers':
        this.roster.speakersChanged(data as CallSpeakersEvent);
        break;
      default:
        break;
    }
  }

  /**
   * Starts joining again: the peer connection goes (what was under way on it
   * fails), remote media is unsubscribed, the local tracks are kept; then the
   * attempts of {@link rejoinLoop} run. Without a policy the room ends.
   */
  private reconnect(reason: CallReconnectReason): void {
    if (this.roomState !== 'joined') return;
    const policy = this.reconnectPolicy;
    if (!policy) {
      this.end(reason === 'node_lost' ? 'removed' : 'connection_lost');
      return;
    }
    this.roomState = 'reconnecting';
    this.dropPeerConnection();
    this.emit(CallEvent.Reconnecting, { reason });
    void rejoinLoop(
      { client: this.client, stopped: () => this.roomState === 'left', attempt: () => this.rejoinOnce() },
      policy,
    ).then((outcome) => {
      if (!outcome.ok && !outcome.stopped) this.end('reconnect_failed', outcome.error);
    });
  }

  /** Closes the current peer connection and its data channel, aborting the requests made for it. */
  private dropPeerConnection(): void {
    this.session.abort(new CallError(CallErrorCode.NotJoined, `the call ${this.roomId} is joining again`));
    this.session = new Session();
    const dataWasOpen = this.data.state === 'open';
    this.signaling.close();
    this.data.close();
    this.closePeerConnection();
    this.publisher.detach();
    this.roster.pause();
    if (dataWasOpen) this.emit(CallEvent.DataChannelStateChanged, 'closed');
  }

  /**
   * One attempt at joining again, after any negotiation under way: `call.join`,
   * a new peer connection with the new ICE servers, the same local tracks
   * offered again. On failure the new peer connection is closed and the
   * server told (`call.leave`), and the error thrown.
   */
  private async rejoinOnce(): Promise<void> {
    await this.signaling.run(async () => {
      this.assertOpen();
      this.held = [];
      let reply: CallJoinReply;
      try {
        reply = await this.request('call.join', { room_id: this.roomId });
      } catch (error) {
        this.held = undefined;
        // The server still has this connection in the room (it was not told of the loss yet): leave first.
        if (error instanceof CallError && error.code === CallErrorCode.AlreadyJoined) this.sendLeave();
        throw error;
      }
      if (this.roomState !== 'reconnecting') {
        // Left while joining.
        this.sendLeave();
        this.assertOpen();
      }
      try {
        const sameNode = reply.node === this.nodeId;
        this.localParticipant.setParticipantId(reply.participant_id);
        this.ice = reply.ice_servers;
        this.nodeId = reply.node;
        this.pc = this.newPeerConnection();
        this.signaling.attach();
        this.data = this.newData();
        this.roster.rejoined(reply.participants, sameNode);
        this.publisher.republish();
        await this.signaling.offer();
      } catch (error) {
        this.held = undefined;
        if (this.roomState === 'reconnecting') this.dropPeerConnection();
        this.sendLeave();
        throw error;
      }
    });
    if (this.roomState !== 'reconnecting') return;
    this.roomState = 'joined';
    const held = this.held ?? [];
    this.held = undefined;
    this.emit(CallEvent.Reconnected);
    this.roster.resubscribe();
    for (const [event, data] of held) this.handle(event, data);
  }

  private sendLeave(): void {
    this.client.request('call.leave', { room_id: this.roomId }).catch(() => undefined);
  }

  private newPeerConnection(): RTCPeerConnection {
    const pc = this.media.peerConnectionFactory({
      iceServers: this.ice.map((s) => ({ ...s })),
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    pc.onconnectionstatechange = () => {
      if (pc === this.pc) this.onConnectionState();
    };
    return pc;
  }

  private newData(): CallData {
    return new CallData(this.core, (id) => this.roster.remotes.get(id));
  }

  private closePeerConnection(): void {
    this.pc.onconnectionstatechange = null;
    try {
      this.pc.close();
    } catch {
      // Already closed.
    }
  }

  private onConnectionState(): void {
    const state = this.pc.connectionState;
    this.emit(CallEvent.ConnectionStateChanged, state);
    if (state === 'failed') {
      this.client.request('call.leave', { room_id: this.roomId }).catch(() => undefined);
      this.end('media_failed', new CallError(CallErrorCode.NegotiationFailed, 'the media connection failed'));
    }
  }

  /** Sends a `call.*` op; rejects at once when the peer connection it was made for goes (the room joins again). */
  private async request<K extends CallOp | 'call.join'>(op: K, data: Ops[K]['data']): Promise<Ops[K]['reply']> {
    try {
      return await Promise.race([this.client.request(op, data), this.session.aborted]);
    } catch (error) {
      throw asCallError(error, op);
    }
  }

  private assertOpen(): void {
    if (this.roomState === 'left') throw new CallError(CallErrorCode.Left, `the call ${this.roomId} was left`);
  }

  /** Ends the room for good: stops local tracks, closes the peer connection, tells the owner and the listeners. */
  private end(reason: CallDisconnectReason, error?: CaasError): void {
    if (this.roomState === 'left') return;
    this.roomState = 'left';
    this.held = undefined;
    this.publisher.stopAll();
    this.signaling.close();
    this.data.close();
    this.closePeerConnection();
    this.onEnded(this);
    this.emit(CallEvent.Disconnected, error ? { reason, error } : { reason });
  }
}

/** The requests made for one peer connection of a room: {@link Session.abort} rejects those still awaited. */
class Session {
  /** Rejects when the session is aborted (never resolves). */
  readonly aborted: Promise<never>;
  private rejectAborted: ((error: CaasError) => void) | undefined;

  constructor() {
    this.aborted = new Promise<never>((_, reject) => {
      this.rejectAborted = reject;
    });
    // Nobody may be waiting on it.
    this.aborted.catch(() => undefined);
  }

  abort(error: CaasError): void {
    this.rejectAborted?.(error);
  }
}
