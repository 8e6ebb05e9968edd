/**
 * {@link CallSignaling}: the negotiation of a call's peer connection with the
 * server's SFU over the real-time socket (docs/calls.md) — local offers and
 * the server's answers, server offers and the room's answers, one exchange at
 * a time — and the trickling of local ICE candidates.
 *
 * @packageDocumentation
 */

import { asCallError, type RoomCore } from './core.js';
import { SerialQueue, msidTracks, negotiationError } from './media.js';
// CallRoom: for the {@link} tags.
import type { CallRoom } from './room.js';
import { CallError, CallErrorCode, type CaasError } from '../core/errors.js';
import type { CallCandidateInit, CallOfferEvent, CallTrackRef, TrackSource } from './types.js';

/** What the signaling asks of its room besides the {@link RoomCore}. */
export interface SignalingHooks {
  /** The source of each sending transceiver, by mid, for the next local offer. */
  sources(): Record<string, TrackSource>;
  /** A server offer was applied: the remote track each receiving mid now carries. */
  remoteTracks(mids: Map<string, CallTrackRef>): void;
  /** Answering a server offer failed in the background (the call goes on). */
  failed(error: CaasError): void;
}

/** A server offer waiting its turn. */
interface ServerOffer {
  event: CallOfferEvent;
  /** The number of the first local offer sent after it arrived, if any: the server dropped it for that one. */
  crossedBy: number | undefined;
  /** The peer connection it came for ({@link CallSignaling.close} moves on). */
  epoch: number;
}

/**
 * Negotiates the peer connection of a {@link CallRoom}. Every change of the
 * connection runs through {@link CallSignaling.run}, one at a time: a local
 * change (screen share, a new microphone) waits for a server offer being
 * answered, and the other way round. A server offer that crossed a local
 * offer is dropped, as docs/calls.md says the server does (it sends a fresh
 * one after answering).
 */
export class CallSignaling {
  private readonly queue = new SerialQueue();
  private readonly serverOffers = new Set<ServerOffer>();
  /** Local offers sent so far, the latest the server answered, and whether one awaits its answer. */
  private offersSent = 0;
  private lastAnsweredOffer = 0;
  private offerInFlight = false;
  /** Local candidates gathered before the first answer; `undefined` once sent. */
  private candidates: CallCandidateInit[] | undefined = [];
  /** Bumped by {@link CallSignaling.close}: server offers for an older peer connection are dropped. */
  private epoch = 0;

  constructor(
    private readonly room: RoomCore,
    private readonly hooks: SignalingHooks,
  ) {
    this.attach();
  }

  /**
   * Starts over on the room's current peer connection (a new one, after the
   * room joined again): no offer sent yet, candidates held until the first
   * answer. Call it inside {@link CallSignaling.run}.
   */
  attach(): void {
    this.offersSent = 0;
    this.lastAnsweredOffer = 0;
    this.offerInFlight = false;
    this.candidates = [];
    this.room.pc.onicecandidate = (event) => this.onLocalCandidate(event.candidate);
  }

  /** Runs `task` after every negotiation queued before it; resolves or rejects as it does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(task);
  }

  /**
   * Sends a local offer (`call.offer` with the sources by mid) and applies the
   * server's answer; on failure the offer is rolled back. Call it inside
   * {@link CallSignaling.run}.
   *
   * @throws {@link CallError} the server's refusal, or `negotiation_failed`.
   */
  async offer(): Promise<void> {
    const { pc } = this.room;
    let sdp: string;
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      sdp = pc.localDescription?.sdp ?? offer.sdp ?? '';
    } catch (error) {
      await this.rollback();
      throw negotiationError(error, 'cannot create the offer');
    }
    const n = ++this.offersSent;
    // Server offers not answered yet are dropped by the server when this offer reaches it.
    for (const pending of this.serverOffers) pending.crossedBy ??= n;
    this.offerInFlight = true;
    let answer: string;
    try {
      answer = (await this.room.request('call.offer', { room_id: this.room.roomId, sdp, sources: this.hooks.sources() })).sdp;
    } catch (error) {
      this.offerInFlight = false;
      await this.rollback();
      throw error;
    }
    this.offerInFlight = false;
    this.lastAnsweredOffer = n;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (error) {
      await this.rollback();
      throw negotiationError(error, "cannot apply the server's answer");
    }
    this.flushCandidates();
  }

  /** A server `call.offer`: applied and answered in its turn; a failure goes to {@link SignalingHooks.failed}. */
  serverOffer(event: CallOfferEvent): void {
    const pending: ServerOffer = { event, crossedBy: this.offerInFlight ? this.offersSent : undefined, epoch: this.epoch };
    this.serverOffers.add(pending);
    void this.queue
      .run(() => this.answer(pending))
      .catch((error: unknown) => {
        if (!this.room.isLeft && pending.epoch === this.epoch) this.hooks.failed(asCallError(error, 'call.answer'));
      });
  }

  /**
   * The peer connection goes (the room ended, or joins again): pending server
   * offers are dropped, candidates no longer sent, and failures of what was
   * under way on it no longer reported.
   */
  close(): void {
    this.room.pc.onicecandidate = null;
    this.serverOffers.clear();
    this.epoch++;
  }

  /** Applies a server offer and answers it. Runs inside the queue. */
  private async answer(pending: ServerOffer): Promise<void> {
    this.serverOffers.delete(pending);
    if (this.room.isLeft || pending.epoch !== this.epoch) return;
    // The server dropped an offer that crossed a local offer it answered, and sends a fresh one.
    if (pending.crossedBy !== undefined && pending.crossedBy <= this.lastAnsweredOffer) return;
    const { pc } = this.room;
    const { event } = pending;
    let sdp: string;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: event.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      sdp = pc.localDescription?.sdp ?? answer.sdp ?? '';
    } catch (error) {
      await this.rollback();
      throw negotiationError(error, "cannot apply the server's offer");
    }
    this.hooks.remoteTracks(event.tracks ? new Map(Object.entries(event.tracks)) : msidTracks(event.sdp));
    try {
      await this.room.request('call.answer', { room_id: this.room.roomId, offer_id: event.offer_id, sdp });
    } catch (error) {
      // stale_offer: the server moved on (it sends a fresh offer); nothing to do.
      if (!(error instanceof CallError && error.code === CallErrorCode.StaleOffer)) throw error;
    }
    this.flushCandidates();
  }

  private async rollback(): Promise<void> {
    const { pc } = this.room;
    if (this.room.isLeft || pc.signalingState === 'stable') return;
    try {
      await pc.setLocalDescription({ type: 'rollback' });
    } catch {
      // Nothing more to undo.
    }
  }

  private onLocalCandidate(candidate: RTCIceCandidate | null): void {
    // null: gathering is complete; an empty candidate means the same.
    if (!candidate?.candidate) return;
    const init: CallCandidateInit = {
      candidate: candidate.candidate,
      sdpMid: candidate.sdpMid,
      sdpMLineIndex: candidate.sdpMLineIndex,
    };
    if (candidate.usernameFragment) init.usernameFragment = candidate.usernameFragment;
    if (this.candidates) this.candidates.push(init);
    else this.sendCandidate(init);
  }

  private flushCandidates(): void {
    const gathered = this.candidates;
    if (!gathered) return;
    this.candidates = undefined;
    for (const c of gathered) this.sendCandidate(c);
  }

  private sendCandidate(candidate: CallCandidateInit): void {
    if (this.room.isLeft) return;
    // Trickling is optional (the server learns the address from connectivity checks): failures do not matter.
    this.room.request('call.candidate', { room_id: this.room.roomId, candidate }).catch(() => undefined);
  }
}
