/**
 * The styles of `<caas-calendar>` (after the shared base styles): the toolbar,
 * the month grid, the week's hours, the event form and the details dialog.
 *
 * @packageDocumentation
 */

import { css } from 'lit';

/** Pixels per hour in the week view. */
export const HOUR_PX = 44;

export const calendarStyles = css`
  :host {
    --_today: var(--caas-calendar-today, var(--_accent));
    --_event-bg: var(--caas-calendar-event-bg, color-mix(in srgb, var(--_accent) 16%, var(--_bg)));
    height: 100%;
    position: relative;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    padding: 8px 10px;
    border-bottom: 1px solid var(--_border);
  }
  .toolbar h2 {
    margin: 0 8px;
    font-size: 1.05em;
    flex: 1;
    min-width: 8em;
  }
  [role='tab'][aria-selected='true'] {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
  }
  .body {
    flex: 1;
    min-height: 0;
    overflow: auto;
    position: relative;
  }
  .month {
    display: grid;
    grid-template-columns: repeat(7, minmax(0, 1fr));
    grid-template-rows: auto repeat(6, minmax(92px, 1fr));
    min-height: 100%;
  }
  .month .head,
  .week .head {
    font-size: 0.85em;
    color: var(--_muted);
    text-align: center;
    padding: 4px;
    border-bottom: 1px solid var(--_border);
  }
  .month .head {
    min-height: 0;
  }
  .cell {
    border-right: 1px solid var(--_border);
    border-bottom: 1px solid var(--_border);
    padding: 2px 4px;
    display: flex;
    flex-direction: column;
    gap: 2px;
    min-width: 0;
    cursor: pointer;
  }
  .cell[data-outside='true'] {
    background: var(--_hover);
    color: var(--_muted);
  }
  .num {
    align-self: flex-end;
    border: none;
    padding: 0 6px;
    font-size: 0.85em;
    border-radius: 10px;
  }
  .cell[data-today='true'] .num {
    background: var(--_today);
    color: var(--_accent-fg);
  }
  .chip {
    display: block;
    width: 100%;
    text-align: left;
    border: none;
    border-radius: 4px;
    padding: 1px 4px;
    font-size: 0.82em;
    background: var(--_event-bg);
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }
  .chip.all-day {
    background: var(--_accent);
    color: var(--_accent-fg);
  }
  .more {
    border: none;
    padding: 0 4px;
    font-size: 0.8em;
    color: var(--_muted);
    text-align: left;
  }
  .week {
    display: grid;
    grid-template-columns: 52px repeat(7, minmax(0, 1fr));
  }
  .week .head {
    position: sticky;
    top: 0;
    z-index: 2;
    height: 28px;
    background: var(--_bg);
  }
  .week .allday {
    position: sticky;
    top: 28px;
    z-index: 2;
    background: var(--_bg);
  }
  .week .head[data-today='true'] {
    color: var(--_today);
    font-weight: 700;
  }
  .allday {
    border-bottom: 1px solid var(--_border);
    padding: 2px;
    min-height: 24px;
    display: flex;
    flex-direction: column;
    gap: 2px;
  }
  .hours,
  .column {
    position: relative;
    height: calc(24 * ${HOUR_PX}px);
  }
  .hours span {
    position: absolute;
    right: 6px;
    font-size: 0.75em;
    color: var(--_muted);
    transform: translateY(-50%);
  }
  .column {
    border-left: 1px solid var(--_border);
  }
  .slot {
    display: block;
    width: 100%;
    height: ${HOUR_PX}px;
    border: none;
    border-bottom: 1px dashed var(--_border);
    border-radius: 0;
    padding: 0;
  }
  .slot:hover {
    background: var(--_hover);
  }
  .block {
    position: absolute;
    left: 2px;
    right: 2px;
    overflow: hidden;
    border: 1px solid var(--_accent);
    border-radius: 4px;
    background: var(--_event-bg);
    font-size: 0.8em;
    padding: 1px 4px;
    text-align: left;
    white-space: normal;
  }
  .backdrop {
    position: absolute;
    inset: 0;
    z-index: 10;
    display: grid;
    place-items: center;
    background: rgba(0, 0, 0, 0.35);
  }
  [role='dialog'] {
    background: var(--_bg);
    color: var(--_fg);
    border-radius: var(--_radius);
    padding: 14px 16px;
    width: min(420px, 94%);
    max-height: 94%;
    overflow: auto;
    display: flex;
    flex-direction: column;
    gap: 8px;
    box-shadow: 0 8px 30px rgba(0, 0, 0, 0.25);
  }
  [role='dialog'] h3 {
    margin: 0;
  }
  [role='dialog'] label {
    display: flex;
    flex-direction: column;
    gap: 2px;
    font-size: 0.9em;
  }
  [role='dialog'] label.check {
    flex-direction: row;
    align-items: center;
    gap: 6px;
  }
  .row {
    display: flex;
    gap: 8px;
  }
  .row > * {
    flex: 1;
  }
  select {
    font: inherit;
    color: inherit;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 5px 8px;
  }
  .actions {
    display: flex;
    justify-content: flex-end;
    gap: 8px;
  }
  .attendees {
    margin: 0;
    padding-left: 18px;
  }
  button[aria-pressed='true'] {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
  }
`;
