/**
 * `<caas-call>`: a voice and video call in a room, with screen share.
 *
 * @packageDocumentation
 */

import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import { repeat } from 'lit/directives/repeat.js';

import { CallEvent, type CallDisconnectReason } from '../../calls/events.js';
import type { CallRoom } from '../../calls/room.js';
import type { JoinCallOptions } from '../../calls/calls.js';
import type { CaasClient } from '../../client/client.js';
import type { CaasError } from '../../core/errors.js';
import { ClientEvent } from '../../client/events.js';
import type { ActionErrorDetail } from '../shared/events.js';
import { callAudio, callTiles, initials, tileLabel, type CallTile } from './logic.js';
import { errorText } from '../shared/format.js';
import { baseStyles } from '../shared/styles.js';

/** Detail of the `caas-joined` event. */
export interface CallJoinedDetail {
  /** The room joined. */
  room: CallRoom;
}

/** Detail of the `caas-left` event. */
export interface CallLeftDetail {
  /** The room left. */
  room: CallRoom;
  /** Why: `left` (the Leave button or {@link CaasCall.leave}), `connection_lost`, `media_failed` or `removed`. */
  reason: CallDisconnectReason;
  /** The error behind it, if any. */
  error?: CaasError;
}

/** `audio` and `video` attributes: present (or any value but `false`) is on. */
const onUnlessFalse = {
  fromAttribute: (value: string | null): boolean => value !== null && value !== 'false',
  toAttribute: (value: boolean): string | null => (value ? '' : null),
};

/** One `MediaStream` per track, so that re-renders do not restart playback. */
const streams = new WeakMap<MediaStreamTrack, MediaStream>();

function streamOf(track: MediaStreamTrack | undefined): MediaStream | null {
  if (!track) return null;
  const Stream = (globalThis as { MediaStream?: new (tracks: MediaStreamTrack[]) => MediaStream }).MediaStream;
  if (!Stream) return null;
  let stream = streams.get(track);
  if (!stream) {
    stream = new Stream([track]);
    streams.set(track, stream);
  }
  return stream;
}

/**
 * `<caas-call>`: joins a call room (`client.calls.join`) and shows it.
 *
 * - With `autojoin`, it joins as soon as `client` and `room-id` are set and
 *   the client is connected, and joins again after the connection comes back.
 * - A responsive grid of tiles: one per participant (its camera, or its
 *   initials while the camera is off) and one per shared screen. The local
 *   camera is mirrored and its video muted; others' sound plays from hidden
 *   `<audio>` elements. Active speakers' tiles are highlighted.
 * - Buttons for the microphone, the camera and screen share (toggle buttons
 *   with `aria-pressed`), and Leave. Before joining, a Join button (or set
 *   `autojoin` to join as soon as `client` and `room-id` are set).
 * - Each tile has `data-participant-id`, `data-source` (`camera` or
 *   `screen`), `data-muted` (its video muted by its publisher),
 *   `data-mic-muted` and `data-speaking`; each `<video>` and `<audio>` has
 *   `data-track-source`.
 *
 * ```html
 * <caas-call room-id="standup"></caas-call>
 * <script type="module">
 *   document.querySelector('caas-call').client = client;
 * </script>
 * ```
 *
 * @fires caas-joined - `CustomEvent<CallJoinedDetail>` once in the room.
 * @fires caas-left - `CustomEvent<CallLeftDetail>` when out of the room (left, lost, failed).
 * @fires caas-error - `CustomEvent<ActionErrorDetail>` when joining or a control fails (the component shows it too).
 *
 * @csspart grid - the tiles.
 * @csspart tile - one tile.
 * @csspart controls - the buttons.
 */
export class CaasCall extends LitElement {
  static override properties = {
    client: { attribute: false },
    roomId: { type: String, attribute: 'room-id', reflect: true },
    audio: { converter: onUnlessFalse },
    video: { converter: onUnlessFalse },
    autojoin: { type: Boolean, reflect: true },
    joinOptions: { attribute: false },
    current: { state: true },
    joining: { state: true },
    busy: { state: true },
    error: { state: true },
    audioBlocked: { state: true },
    revision: { state: true },
  };

  static override styles = [
    baseStyles,
    css`
      :host {
        --_tile-bg: var(--caas-call-tile-bg, #1f2328);
        --_tile-fg: var(--caas-call-tile-fg, #ffffff);
        --_speaking: var(--caas-call-speaking, #2da44e);
        --_tile-min: var(--caas-call-tile-min, 220px);
        gap: 10px;
        padding: 10px;
        height: 100%;
      }
      .grid {
        flex: 1;
        min-height: 0;
        overflow-y: auto;
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, var(--_tile-min)), 1fr));
        grid-auto-rows: max-content;
        gap: 8px;
        align-content: start;
      }
      .tile {
        position: relative;
        margin: 0;
        aspect-ratio: 16 / 9;
        background: var(--_tile-bg);
        color: var(--_tile-fg);
        border-radius: var(--_radius);
        overflow: hidden;
        outline: 3px solid transparent;
        outline-offset: -3px;
        transition: outline-color 0.15s;
      }
      .tile.speaking {
        outline-color: var(--_speaking);
      }
      .tile video {
        width: 100%;
        height: 100%;
        object-fit: cover;
        display: block;
        background: var(--_tile-bg);
      }
      .tile[data-source='screen'] video {
        object-fit: contain;
      }
      .tile.mirror video {
        transform: scaleX(-1);
      }
      .tile.off video {
        visibility: hidden;
      }
      .placeholder {
        position: absolute;
        inset: 0;
        display: grid;
        place-items: center;
      }
      .avatar {
        width: 64px;
        height: 64px;
        border-radius: 50%;
        display: grid;
        place-items: center;
        background: rgba(127, 127, 127, 0.35);
        font-size: 1.4em;
        font-weight: 600;
      }
      figcaption {
        position: absolute;
        left: 6px;
        bottom: 6px;
        max-width: calc(100% - 12px);
        padding: 1px 8px;
        border-radius: var(--_radius);
        background: rgba(0, 0, 0, 0.55);
        color: #fff;
        font-size: 0.85em;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .controls {
        display: flex;
        flex-wrap: wrap;
        justify-content: center;
        align-items: center;
        gap: 8px;
      }
      .controls button[aria-pressed='true'] {
        background: var(--_accent);
        border-color: var(--_accent);
        color: var(--_accent-fg);
      }
      .controls button.leave {
        background: var(--_danger);
        border-color: var(--_danger);
        color: #fff;
      }
      .status {
        text-align: center;
        color: var(--_muted);
      }
      .lobby {
        flex: 1;
        display: grid;
        place-items: center;
        align-content: center;
        gap: 10px;
      }
      audio {
        display: none;
      }
    `,
  ];

  /** The connected client whose socket carries the call. */
  declare client: CaasClient | undefined;
  /** The room to join (1–128 characters of `[A-Za-z0-9._:-]`; a conversation id for its members only). Attribute `room-id`. */
  declare roomId: string | undefined;
  /** Publish the microphone on joining (default on; attribute `audio="false"` turns it off). */
  declare audio: boolean;
  /** Publish the camera on joining (default on; attribute `video="false"` turns it off). */
  declare video: boolean;
  /** Join as soon as `client` and `room-id` are set, instead of waiting for the Join button. */
  declare autojoin: boolean;
  /**
   * More options of `client.calls.join` (constraints, `simulcast`, and the
   * media functions: `getUserMedia`, `getDisplayMedia`, `peerConnectionFactory`).
   * `audio` and `video` here win over the attributes.
   */
  declare joinOptions: JoinCallOptions | undefined;

  declare private current: CallRoom | undefined;
  declare private joining: boolean;
  declare private busy: boolean;
  declare private error: string | undefined;
  declare private audioBlocked: boolean;
  declare private revision: number;

  private unsubscribe: Array<() => void> = [];
  /** Removes the wait for the client's first connection (autojoin). */
  private stopWaiting: (() => void) | undefined;
  /** Bumped by every join and leave: a join that finishes after a newer one or a leave is undone. */
  private generation = 0;

  constructor() {
    super();
    this.client = undefined;
    this.roomId = undefined;
    this.audio = true;
    this.video = true;
    this.autojoin = false;
    this.joinOptions = undefined;
    this.current = undefined;
    this.joining = false;
    this.busy = false;
    this.error = undefined;
    this.audioBlocked = false;
    this.revision = 0;
  }

  /** The room joined, while in it. */
  get room(): CallRoom | undefined {
    return this.current;
  }

  /**
   * Joins `room-id` with `client` (waiting for the client to connect if it is
   * connecting). Resolves once in the room, or once the failure is shown (and
   * `caas-error` fired).
   */
  async join(): Promise<void> {
    const client = this.client;
    const roomId = this.roomId;
    if (!client || !roomId || this.current || this.joining) return;
    const generation = ++this.generation;
    this.joining = true;
    this.error = undefined;
    try {
      if (client.state !== 'connected') await client.waitUntilConnected();
      const room = await client.calls.join(roomId, { audio: this.audio, video: this.video, ...this.joinOptions });
      if (generation !== this.generation || !this.isConnected) {
        await room.leave();
        return;
      }
      this.bind(room);
      this.dispatchEvent(new CustomEvent<CallJoinedDetail>('caas-joined', { detail: { room }, bubbles: true, composed: true }));
    } catch (error) {
      if (generation === this.generation) this.fail('call.join', error);
    } finally {
      if (generation === this.generation) this.joining = false;
    }
  }

  /** Leaves the room (fires `caas-left` with reason `left`). */
  async leave(): Promise<void> {
    this.generation++;
    this.joining = false;
    await this.current?.leave();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.maybeAutojoin();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopWaiting?.();
    this.stopWaiting = undefined;
    void this.leave();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    const roomChanged = changed.has('roomId') && changed.get('roomId') !== undefined;
    if ((roomChanged || (changed.has('client') && changed.get('client') !== undefined)) && (this.current || this.joining)) {
      void this.leave();
    }
    if (changed.has('client') || changed.has('roomId') || changed.has('autojoin')) this.maybeAutojoin();
  }

  protected override updated(): void {
    // Remote sound: start each <audio> (autoplay may be refused without a user gesture).
    for (const el of this.renderRoot.querySelectorAll<HTMLAudioElement>('audio')) {
      if (el.srcObject && el.paused && typeof el.play === 'function') this.play(el);
    }
  }

  private maybeAutojoin(): void {
    this.stopWaiting?.();
    this.stopWaiting = undefined;
    const client = this.client;
    if (!this.autojoin || !this.isConnected || !client || !this.roomId || this.current || this.joining) return;
    if (client.state === 'disconnected') {
      // Not connecting yet (the page calls connect() after setting up its elements): join once it connects.
      this.stopWaiting = client.once(ClientEvent.Connected, () => {
        this.stopWaiting = undefined;
        this.maybeAutojoin();
      });
      return;
    }
    void this.join();
  }

  private bind(room: CallRoom): void {
    this.unbind();
    this.current = room;
    const rerender = (): void => {
      this.revision++;
    };
    for (const event of Object.values(CallEvent)) {
      // Data messages change nothing shown.
      if (event === CallEvent.Disconnected || event === CallEvent.Error || event === CallEvent.DataReceived) continue;
      this.unsubscribe.push(room.on(event, rerender));
    }
    this.unsubscribe.push(
      room.on(CallEvent.Error, (error) => this.fail('call', error)),
      room.on(CallEvent.Disconnected, ({ reason, error }) => {
        this.unbind();
        this.current = undefined;
        this.audioBlocked = false;
        if (error && reason !== 'left') this.error = errorText(error);
        const detail: CallLeftDetail = error ? { room, reason, error } : { room, reason };
        this.dispatchEvent(new CustomEvent<CallLeftDetail>('caas-left', { detail, bubbles: true, composed: true }));
        // The server dropped the call with the connection: with autojoin, join again once reconnected.
        if (reason === 'connection_lost') this.maybeAutojoin();
      }),
    );
  }

  private unbind(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private fail(action: string, error: unknown): void {
    this.error = errorText(error);
    this.dispatchEvent(
      new CustomEvent<ActionErrorDetail>('caas-error', { detail: { action, error }, bubbles: true, composed: true }),
    );
  }

  /** Runs a control's action, showing its failure. */
  private async control(action: string, run: (room: CallRoom) => Promise<void>): Promise<void> {
    const room = this.current;
    if (!room || this.busy) return;
    this.busy = true;
    this.error = undefined;
    try {
      await run(room);
    } catch (error) {
      this.fail(action, error);
    } finally {
      this.busy = false;
      this.revision++;
    }
  }

  private toggleMicrophone(): Promise<void> {
    return this.control('microphone', (room) => room.localParticipant.setMicrophoneEnabled(!room.localParticipant.isMicrophoneEnabled));
  }

  private toggleCamera(): Promise<void> {
    return this.control('camera', (room) => room.localParticipant.setCameraEnabled(!room.localParticipant.isCameraEnabled));
  }

  private toggleScreen(): Promise<void> {
    return this.control('screen', (room) =>
      room.localParticipant.isScreenShareEnabled ? room.localParticipant.stopScreenShare() : room.localParticipant.startScreenShare(),
    );
  }

  private enableAudio(): void {
    this.audioBlocked = false;
    for (const el of this.renderRoot.querySelectorAll<HTMLAudioElement>('audio')) this.play(el);
  }

  /** Starts an `<audio>`; a refusal for want of a user gesture shows the "Enable sound" button. */
  private play(el: HTMLAudioElement): void {
    el.play()?.catch?.((error: unknown) => {
      // Other failures (e.g. AbortError: a newer load interrupted this one) are not about autoplay.
      if ((error as { name?: unknown } | null)?.name === 'NotAllowedError') this.audioBlocked = true;
    });
  }

  protected override render(): TemplateResult {
    const room = this.current;
    const errorView = this.error
      ? html`<div class="error" role="alert" data-testid="call-error">
          <span>${this.error}</span>
          <button type="button" @click=${() => (this.error = undefined)}>Dismiss</button>
        </div>`
      : nothing;
    if (!room) {
      return html`<div class="lobby">
        ${errorView}
        <p class="status" role="status" data-testid="call-status">
          ${this.joining ? 'Joining…' : this.roomId ? `Call: ${this.roomId}` : 'No room'}
        </p>
        <button
          type="button"
          class="primary"
          data-testid="call-join"
          ?disabled=${this.joining || !this.client || !this.roomId}
          @click=${() => this.join()}
        >
          ${this.joining ? 'Joining…' : 'Join call'}
        </button>
      </div>`;
    }
    const local = room.localParticipant;
    const tiles = callTiles(room);
    const count = room.remoteParticipants.size + 1;
    return html`
      ${errorView}
      <div part="grid" class="grid" role="list" aria-label="Participants" data-testid="call-grid">
        ${repeat(tiles, (t) => t.key, (t) => this.renderTile(t))}
      </div>
      ${repeat(
        callAudio(room),
        (a) => a.key,
        (a) => html`<audio
          autoplay
          data-participant-id=${a.participantId}
          data-track-source=${a.source}
          .srcObject=${streamOf(a.track)}
        ></audio>`,
      )}
      <p class="status visually-hidden" role="status" data-testid="call-status">
        In call ${room.roomId}: ${count} ${count === 1 ? 'participant' : 'participants'}
      </p>
      <div part="controls" class="controls" role="group" aria-label="Call controls">
        ${this.audioBlocked
          ? html`<button type="button" data-testid="call-enable-audio" @click=${() => this.enableAudio()}>Enable sound</button>`
          : nothing}
        <button
          type="button"
          data-testid="call-mic"
          aria-pressed=${local.isMicrophoneEnabled ? 'true' : 'false'}
          ?disabled=${this.busy}
          @click=${() => this.toggleMicrophone()}
        >
          Microphone
        </button>
        <button
          type="button"
          data-testid="call-camera"
          aria-pressed=${local.isCameraEnabled ? 'true' : 'false'}
          ?disabled=${this.busy}
          @click=${() => this.toggleCamera()}
        >
          Camera
        </button>
        <button
          type="button"
          data-testid="call-screen"
          aria-pressed=${local.isScreenShareEnabled ? 'true' : 'false'}
          ?disabled=${this.busy}
          @click=${() => this.toggleScreen()}
        >
          Share screen
        </button>
        <button type="button" class="leave" data-testid="call-leave" @click=${() => this.leave()}>Leave</button>
      </div>
    `;
  }

  private renderTile(tile: CallTile): TemplateResult {
    const label = tileLabel(tile);
    const classes = classMap({
      tile: true,
      speaking: tile.speaking,
      off: tile.videoMuted,
      mirror: tile.isLocal && tile.source === 'camera',
    });
    return html`<figure
      part="tile"
      class=${classes}
      role="listitem"
      aria-label=${`${label}${tile.speaking ? ', speaking' : ''}${tile.micMuted && tile.source === 'camera' ? ', muted' : ''}`}
      data-testid="call-tile"
      data-participant-id=${tile.participantId}
      data-source=${tile.source}
      data-speaking=${tile.speaking ? 'true' : 'false'}
      data-muted=${tile.muted ? 'true' : 'false'}
      data-mic-muted=${tile.micMuted ? 'true' : 'false'}
      data-local=${tile.isLocal ? 'true' : 'false'}
    >
      ${tile.video
        ? html`<video autoplay playsinline .muted=${true} data-track-source=${tile.source} .srcObject=${streamOf(tile.video)}></video>`
        : nothing}
      ${tile.videoMuted
        ? html`<div class="placeholder" aria-hidden="true"><span class="avatar">${initials(tile.userId || tile.participantId)}</span></div>`
        : nothing}
      <figcaption>${label}${tile.micMuted && tile.source === 'camera' ? html` <span aria-hidden="true">🔇</span>` : nothing}</figcaption>
    </figure>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'caas-call': CaasCall;
  }
  interface HTMLElementEventMap {
    'caas-joined': CustomEvent<CallJoinedDetail>;
    'caas-left': CustomEvent<CallLeftDetail>;
  }
}
