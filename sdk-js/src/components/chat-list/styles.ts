/**
 * The styles of `<caas-chat-list>` (after the shared base styles): the search
 * box and filter tabs, the rows, and the "New group" dialog.
 *
 * @packageDocumentation
 */

import { css } from 'lit';

export const chatListStyles = css`
  :host {
    height: 100%;
  }
  header {
    display: flex;
    flex-direction: column;
    gap: 8px;
    padding: 10px;
    border-bottom: 1px solid var(--_border);
  }
  .top {
    display: flex;
    gap: 8px;
  }
  .top input {
    flex: 1;
    min-width: 0;
  }
  [role='tablist'] {
    display: flex;
    flex-wrap: wrap;
    gap: 2px;
  }
  [role='tab'] {
    border: none;
    padding: 1px 7px;
    font-size: 0.9em;
    color: var(--_muted);
  }
  [role='tab'][aria-selected='true'] {
    background: var(--_accent);
    color: var(--_accent-fg);
  }
  [role='listbox'] {
    flex: 1;
    overflow-y: auto;
    min-height: 0;
    margin: 0;
    padding: 0;
  }
  .row {
    display: flex;
    align-items: center;
    gap: 10px;
    padding: 8px 12px;
    cursor: pointer;
    border-bottom: 1px solid var(--_border);
  }
  .row:hover,
  .row[aria-selected='true'] {
    background: var(--_hover);
  }
  .row[aria-selected='true'] {
    box-shadow: inset 3px 0 0 var(--_accent);
  }
  .avatar {
    flex: none;
    width: 36px;
    height: 36px;
    border-radius: 50%;
    display: grid;
    place-items: center;
    background: var(--_bubble-bg);
    font-weight: 600;
    text-transform: uppercase;
  }
  .main {
    flex: 1;
    min-width: 0;
  }
  .title,
  .preview {
    display: block;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .title {
    font-weight: 600;
  }
  .unread .preview {
    color: var(--_fg);
    font-weight: 500;
  }
  .preview,
  time {
    color: var(--_muted);
    font-size: 0.9em;
  }
  .meta {
    display: flex;
    flex-direction: column;
    align-items: flex-end;
    gap: 4px;
  }
  .badge {
    min-width: 20px;
    padding: 0 6px;
    border-radius: 10px;
    background: var(--_accent);
    color: var(--_accent-fg);
    font-size: 0.8em;
    font-weight: 600;
    text-align: center;
  }
  .status {
    padding: 10px 12px;
    color: var(--_muted);
  }
  .backdrop {
    position: fixed;
    inset: 0;
    display: grid;
    place-items: center;
    background: rgba(0, 0, 0, 0.35);
    z-index: 10;
  }
  [role='dialog'] {
    background: var(--_bg);
    color: var(--_fg);
    border-radius: var(--_radius);
    padding: 16px;
    min-width: min(360px, 90vw);
    display: flex;
    flex-direction: column;
    gap: 10px;
    box-shadow: 0 8px 30px rgba(0, 0, 0, 0.25);
  }
  [role='dialog'] h2 {
    margin: 0;
    font-size: 1.1em;
  }
  [role='dialog'] label {
    display: flex;
    flex-direction: column;
    gap: 4px;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    gap: 8px;
  }
`;
