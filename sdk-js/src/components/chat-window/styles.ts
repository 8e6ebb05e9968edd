/**
 * The styles of `<caas-chat-window>`: header, message bubbles, attachments,
 * reactions, receipts, the composer, uploads, the drop zone and the thread
 * panel.
 *
 * @packageDocumentation
 */

import { css } from 'lit';

import { ATTACHMENT_IMAGE_MAX } from '../shared/attachments.js';

/** The window's own styles, on top of `baseStyles`. */
export const chatWindowStyles = css`
  :host {
    height: 100%;
    position: relative;
  }
  header {
    display: flex;
    align-items: baseline;
    gap: 8px;
    padding: 10px 14px;
    border-bottom: 1px solid var(--_border);
  }
  header h2 {
    margin: 0;
    font-size: 1.05em;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  /* The main column (messages, typing, composer) and, when open, the thread panel beside it. */
  .body {
    flex: 1;
    min-height: 0;
    display: flex;
    position: relative;
    container-type: inline-size;
  }
  .main {
    flex: 1;
    min-width: 0;
    display: flex;
    flex-direction: column;
  }
  .log {
    flex: 1;
    min-height: 0;
    overflow-y: auto;
    padding: 34px 14px 10px;
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .placeholder {
    margin: auto;
    color: var(--_muted);
  }
  .older {
    align-self: center;
    font-size: 0.9em;
  }
  .item {
    display: flex;
    flex-direction: column;
    align-items: flex-start;
    max-width: 80%;
  }
  .item.own {
    align-self: flex-end;
    align-items: flex-end;
  }
  .message {
    background: var(--_bubble-bg);
    color: var(--_bubble-fg);
    border-radius: var(--_radius);
    padding: 6px 10px;
    max-width: 100%;
    overflow-wrap: anywhere;
  }
  .own .message {
    background: var(--_own-bg);
    color: var(--_own-fg);
  }
  .message.tombstone {
    background: transparent;
    color: var(--_muted);
    border: 1px dashed var(--_border);
    font-style: italic;
  }
  .message.pending {
    opacity: 0.7;
  }
  .sender {
    font-size: 0.8em;
    font-weight: 600;
    opacity: 0.8;
  }
  .text {
    white-space: pre-wrap;
  }
  .meta {
    font-size: 0.75em;
    opacity: 0.75;
  }
  .quote {
    margin: 2px 0 4px;
    padding: 2px 8px;
    border-left: 3px solid currentColor;
    opacity: 0.85;
    font-size: 0.9em;
    cursor: pointer;
  }
  .item {
    position: relative;
  }
  .reactions,
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 3px;
  }
  .reactions {
    margin-top: 2px;
  }
  .reactions button,
  .actions button,
  .tools button {
    padding: 0 6px;
    font-size: 0.85em;
    border-radius: 999px;
  }
  .reaction[aria-pressed='true'] {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
  }
  /* The toolbar floats over the bubble's top edge while the message is hovered or focused. */
  .actions {
    position: absolute;
    bottom: calc(100% - 8px);
    left: 0;
    z-index: 1;
    flex-wrap: nowrap;
    padding: 2px;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    box-shadow: 0 2px 8px rgba(0, 0, 0, 0.12);
    opacity: 0;
    pointer-events: none;
    transition: opacity 0.1s;
  }
  .own .actions {
    left: auto;
    right: 0;
  }
  .actions button {
    border-color: transparent;
  }
  .item:hover .actions,
  .item:focus-within .actions {
    opacity: 1;
    pointer-events: auto;
  }
  .tools {
    display: flex;
    gap: 3px;
    margin-top: 2px;
  }
  .receipt {
    font-size: 0.75em;
    color: var(--_muted);
  }
  .typing {
    min-height: 1.4em;
    padding: 0 14px;
    font-size: 0.85em;
    color: var(--_muted);
    font-style: italic;
  }
  form {
    display: flex;
    flex-direction: column;
    gap: 4px;
    padding: 8px 10px 10px;
    border-top: 1px solid var(--_border);
  }
  .context {
    display: flex;
    align-items: center;
    gap: 6px;
    font-size: 0.85em;
    color: var(--_muted);
  }
  .context span {
    flex: 1;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row {
    display: flex;
    gap: 8px;
    align-items: flex-end;
  }
  textarea {
    flex: 1;
    resize: none;
    min-height: 38px;
    max-height: 160px;
  }
  .alert {
    display: flex;
    gap: 8px;
    align-items: center;
  }
  .attachments {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    margin: 2px 0 4px;
  }
  .attachment {
    color: inherit;
    border-radius: calc(var(--_radius) / 2);
  }
  .attachment.image {
    display: block;
    line-height: 0;
  }
  .attachment img {
    display: block;
    max-width: 100%;
    height: auto;
    border-radius: calc(var(--_radius) / 2);
    background: var(--_hover);
  }
  .attachment.image img:not([width]) {
    max-width: min(100%, ${ATTACHMENT_IMAGE_MAX}px);
    max-height: ${ATTACHMENT_IMAGE_MAX}px;
  }
  .attachment.file {
    display: inline-flex;
    gap: 6px;
    align-items: baseline;
    padding: 4px 8px;
    border: 1px solid currentColor;
    text-decoration: none;
    max-width: 100%;
  }
  .attachment.file .icon {
    flex: none;
    align-self: center;
  }
  .attachment.file .name {
    text-decoration: underline;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .attachment .size {
    font-size: 0.85em;
    opacity: 0.8;
    white-space: nowrap;
  }
  .uploads {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  .upload {
    display: flex;
    align-items: center;
    gap: 8px;
    font-size: 0.85em;
  }
  .upload .name {
    flex: 0 1 auto;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .upload progress {
    flex: 1;
    min-width: 60px;
    height: 6px;
    accent-color: var(--_accent);
  }
  .upload .status {
    color: var(--_muted);
    white-space: nowrap;
  }
  .upload[data-state='error'] .status {
    color: var(--_danger);
  }
  .upload button {
    padding: 0 8px;
  }
  .attach {
    align-self: stretch;
    display: inline-flex;
    align-items: center;
    padding: 0 9px;
  }
  .replies {
    margin-top: 2px;
    padding: 0 8px;
    font-size: 0.85em;
    font-weight: 600;
    color: var(--_accent);
    border-color: transparent;
  }
  .replies:hover,
  .replies[aria-expanded='true'] {
    background: var(--_hover);
  }
  .thread {
    flex: 0 0 min(45%, 380px);
    min-width: 260px;
    display: flex;
    flex-direction: column;
    border-left: 1px solid var(--_border);
    background: var(--_bg);
  }
  /* A narrow window: the panel covers the messages. */
  @container (max-width: 600px) {
    .thread {
      position: absolute;
      inset: 0;
      z-index: 1;
      min-width: 0;
      border-left: none;
    }
  }
  .thread header {
    align-items: center;
    padding: 6px 8px 6px 14px;
  }
  .thread header h3 {
    margin: 0;
    font-size: 1em;
  }
  .thread header .close {
    margin-left: auto;
    padding: 0 8px;
    border-color: transparent;
  }
  .thread-root {
    display: flex;
    flex-direction: column;
    padding-bottom: 8px;
    border-bottom: 1px solid var(--_border);
  }
  .thread-root .item {
    max-width: 100%;
  }
  .dropzone {
    position: absolute;
    inset: 0;
    z-index: 2;
    display: flex;
    align-items: center;
    justify-content: center;
    background: var(--_bg);
    opacity: 0.92;
    border: 2px dashed var(--_accent);
    border-radius: var(--_radius);
    color: var(--_accent);
    font-weight: 600;
  }
`;
