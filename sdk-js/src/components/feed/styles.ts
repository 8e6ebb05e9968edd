/**
 * The styles of `<caas-feed>`: header, stories strip and viewer, composer,
 * posts with media, actions and the comments panel.
 *
 * @packageDocumentation
 */

import { css } from 'lit';

/** The feed's own styles, on top of `baseStyles`. */
export const feedStyles = css`
  :host {
    --_ring: var(--caas-story-ring, linear-gradient(45deg, #f58529, #dd2a7b, #8134af));
    --_seen: var(--caas-story-seen, var(--_border));
    --_max: var(--caas-feed-max-width, 640px);
    height: 100%;
    overflow-y: auto;
  }
  .column {
    width: 100%;
    max-width: var(--_max);
    margin: 0 auto;
    display: flex;
    flex-direction: column;
    gap: 12px;
    padding: 10px 12px 24px;
  }
  header.top {
    display: flex;
    align-items: center;
    gap: 8px;
    flex-wrap: wrap;
  }
  header.top h2 {
    margin: 0;
    font-size: 1.1em;
    flex: 1;
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  [role='tablist'] {
    display: flex;
    gap: 2px;
  }
  [role='tab'][aria-selected='true'],
  button[aria-pressed='true'].toggle {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
  }
  .alert {
    display: flex;
    align-items: center;
    gap: 8px;
    border: 1px solid var(--_danger);
    border-radius: var(--_radius);
  }
  .alert span {
    flex: 1;
  }
  /* Stories */
  .stories {
    display: flex;
    gap: 12px;
    overflow-x: auto;
    padding: 4px 2px 6px;
    margin: 0;
    list-style: none;
  }
  .ring {
    flex: none;
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: 4px;
    border: none;
    padding: 0;
    width: 72px;
    font-size: 0.85em;
  }
  .ring .avatar {
    width: 60px;
    height: 60px;
    padding: 3px;
    border-radius: 50%;
    background: var(--_seen);
  }
  .ring[data-seen='false'] .avatar {
    background: var(--_ring);
  }
  .ring .avatar span,
  .owner .avatar {
    display: grid;
    place-items: center;
    width: 100%;
    height: 100%;
    border-radius: 50%;
    background: var(--_bubble-bg);
    color: var(--_bubble-fg);
    border: 2px solid var(--_bg);
    font-weight: 600;
  }
  .ring .name {
    max-width: 100%;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .ring[data-seen='true'] .name {
    color: var(--_muted);
  }
  .backdrop {
    position: fixed;
    inset: 0;
    z-index: 20;
    display: grid;
    place-items: center;
    background: rgba(0, 0, 0, 0.85);
  }
  .viewer {
    position: relative;
    width: min(420px, 94vw);
    height: min(740px, 90vh);
    display: flex;
    flex-direction: column;
    background: #000;
    color: #fff;
    border-radius: var(--_radius);
    overflow: hidden;
  }
  .viewer .bars {
    display: flex;
    gap: 3px;
    padding: 8px 8px 0;
  }
  .viewer .bars span {
    flex: 1;
    height: 3px;
    border-radius: 2px;
    background: rgba(255, 255, 255, 0.35);
  }
  .viewer .bars span.done {
    background: #fff;
  }
  .viewer .head {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 8px 10px;
  }
  .viewer .head strong {
    flex: 1;
  }
  .viewer button {
    color: #fff;
    border-color: rgba(255, 255, 255, 0.5);
  }
  .viewer .content {
    flex: 1;
    min-height: 0;
    display: grid;
    place-items: center;
    position: relative;
  }
  .viewer .content img,
  .viewer .content video {
    max-width: 100%;
    max-height: 100%;
    object-fit: contain;
  }
  .viewer .story-text {
    padding: 24px;
    font-size: 1.4em;
    text-align: center;
    overflow-wrap: anywhere;
  }
  .viewer .caption {
    position: absolute;
    left: 0;
    right: 0;
    bottom: 0;
    padding: 12px;
    background: linear-gradient(transparent, rgba(0, 0, 0, 0.7));
  }
  .viewer .nav {
    display: flex;
    justify-content: space-between;
    padding: 8px 10px;
  }
  /* Composer */
  .composer {
    display: flex;
    flex-direction: column;
    gap: 8px;
    padding: 10px;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  .composer textarea {
    resize: vertical;
    min-height: 3.2em;
  }
  .composer .row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
  }
  .composer .row .spacer {
    flex: 1;
  }
  .composer select {
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 3px 6px;
  }
  .chosen {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .chosen li {
    position: relative;
    width: 84px;
    height: 84px;
    border-radius: 8px;
    overflow: hidden;
    background: var(--_hover);
    display: grid;
    place-items: center;
    font-size: 0.8em;
    text-align: center;
  }
  .chosen img {
    width: 100%;
    height: 100%;
    object-fit: cover;
  }
  .chosen button {
    position: absolute;
    top: 2px;
    right: 2px;
    padding: 0 6px;
    background: var(--_bg);
  }
  progress {
    width: 100%;
    accent-color: var(--_accent);
  }
  /* Posts */
  .posts {
    display: flex;
    flex-direction: column;
    gap: 12px;
  }
  .post {
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 10px 12px;
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .post > header {
    display: flex;
    align-items: center;
    gap: 8px;
    color: var(--_muted);
    font-size: 0.9em;
  }
  .owner {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    border: none;
    padding: 0;
    color: var(--_fg);
    font-weight: 600;
  }
  .owner .avatar {
    width: 32px;
    height: 32px;
    border: none;
    font-size: 0.8em;
  }
  .post .text {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
  }
  .media {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
  }
  .media img,
  .media video {
    display: block;
    max-width: 100%;
    height: auto;
    border-radius: 8px;
    background: var(--_hover);
  }
  .actions {
    display: flex;
    align-items: center;
    gap: 8px;
  }
  .icon {
    vertical-align: -2px;
    margin-right: 4px;
  }
  .actions .spacer {
    flex: 1;
  }
  .like[aria-pressed='true'] {
    color: var(--_danger);
    border-color: var(--_danger);
  }
  .danger {
    color: var(--_danger);
  }
  .placeholder {
    color: var(--_muted);
    text-align: center;
    padding: 16px;
  }
  .more {
    align-self: center;
  }
  .sentinel {
    height: 1px;
  }
  /* Comments */
  .comments {
    border-top: 1px solid var(--_border);
    padding-top: 8px;
    display: flex;
    flex-direction: column;
    gap: 6px;
  }
  .comments ul {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 6px;
  }
  .comments ul ul {
    padding-left: 22px;
    margin-top: 6px;
  }
  .comment .body {
    overflow-wrap: anywhere;
  }
  .comment .author {
    font-weight: 600;
    margin-right: 6px;
  }
  .comment .meta {
    display: flex;
    gap: 8px;
    align-items: center;
    color: var(--_muted);
    font-size: 0.85em;
  }
  .comment .meta button {
    border: none;
    padding: 0;
    color: var(--_muted);
    font-size: inherit;
  }
  .comment.deleted .body {
    color: var(--_muted);
    font-style: italic;
  }
  .comment-form {
    display: flex;
    gap: 6px;
  }
  .comment-form input {
    flex: 1;
    min-width: 0;
  }
  .replying {
    display: flex;
    gap: 6px;
    align-items: center;
    color: var(--_muted);
    font-size: 0.85em;
  }
  .replying button {
    border: none;
    padding: 0 4px;
  }
`;
