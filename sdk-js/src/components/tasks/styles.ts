/**
 * The styles of `<caas-tasks>` (after the shared base styles): the toolbar and
 * its form, the list, the board and its cards, the details panel.
 *
 * @packageDocumentation
 */

import { css } from 'lit';

export const tasksStyles = css`
  :host {
    height: 100%;
    position: relative;
  }
  .toolbar {
    display: flex;
    flex-direction: column;
    gap: 6px;
    padding: 8px 10px;
    border-bottom: 1px solid var(--_border);
  }
  .line {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
  }
  .line .grow {
    flex: 1;
    min-width: 10em;
  }
  select {
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 4px 6px;
  }
  [role='tab'][aria-selected='true'],
  button[aria-pressed='true'] {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
  }
  .main {
    flex: 1;
    min-height: 0;
    display: flex;
  }
  .scroll {
    flex: 1;
    min-width: 0;
    overflow: auto;
  }
  ul.list {
    list-style: none;
    margin: 0;
    padding: 0;
  }
  .row {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 6px 10px;
    border-bottom: 1px solid var(--_border);
  }
  .row .title {
    flex: 1;
    min-width: 0;
    text-align: left;
    border: none;
    padding: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .row[data-done='true'] .title {
    text-decoration: line-through;
    color: var(--_muted);
  }
  .badge {
    font-size: 0.75em;
    padding: 0 6px;
    border-radius: 8px;
    border: 1px solid var(--_border);
    white-space: nowrap;
  }
  .badge[data-priority='high'] {
    border-color: #bf8700;
    color: #9a6700;
  }
  .badge[data-priority='urgent'] {
    border-color: var(--_danger);
    color: var(--_danger);
  }
  .due {
    font-size: 0.85em;
    color: var(--_muted);
    white-space: nowrap;
  }
  .due.overdue {
    color: var(--_danger);
    font-weight: 600;
  }
  .who {
    font-size: 0.85em;
    color: var(--_muted);
  }
  .board {
    display: flex;
    gap: 10px;
    padding: 10px;
    align-items: flex-start;
    min-height: 100%;
  }
  .column {
    flex: 0 0 240px;
    background: var(--_hover);
    border-radius: var(--_radius);
    padding: 6px;
    display: flex;
    flex-direction: column;
    gap: 6px;
    min-height: 120px;
  }
  .column.over {
    outline: 2px dashed var(--_accent);
  }
  .column h3 {
    margin: 2px 4px;
    font-size: 0.95em;
    display: flex;
    justify-content: space-between;
  }
  .card {
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 8px;
    padding: 6px 8px;
    display: flex;
    flex-direction: column;
    gap: 4px;
    cursor: grab;
  }
  .card[data-dragging='true'] {
    opacity: 0.5;
  }
  .card .title {
    border: none;
    padding: 0;
    text-align: left;
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .card .meta {
    display: flex;
    align-items: center;
    gap: 6px;
    flex-wrap: wrap;
  }
  .card .moves {
    display: flex;
    justify-content: space-between;
  }
  .card .moves button {
    padding: 0 8px;
  }
  .details {
    flex: 0 0 min(340px, 45%);
    border-left: 1px solid var(--_border);
    padding: 10px;
    overflow: auto;
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .details h3 {
    margin: 0;
    overflow-wrap: anywhere;
  }
  .details label {
    display: flex;
    flex-direction: column;
    gap: 2px;
    font-size: 0.9em;
  }
  .comments {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 6px;
  }
  .comments .author {
    font-weight: 600;
    margin-right: 6px;
  }
  .placeholder {
    color: var(--_muted);
    padding: 16px;
    text-align: center;
  }
`;
