/**
 * The styles of `<caas-whiteboard>` (after the shared base styles): the toolbar,
 * the canvas, the selection, the text box and others' cursors.
 *
 * @packageDocumentation
 */

import { css } from 'lit';

export const whiteboardStyles = css`
  :host {
    --_canvas-bg: var(--caas-whiteboard-bg, #ffffff);
    height: 100%;
    min-height: 320px;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px;
    padding: 6px 8px;
    border-bottom: 1px solid var(--_border);
  }
  .toolbar button {
    min-width: 32px;
    padding: 4px 8px;
  }
  .toolbar button[aria-pressed='true'] {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
  }
  .sep {
    width: 1px;
    align-self: stretch;
    background: var(--_border);
    margin: 0 4px;
  }
  .swatch {
    width: 22px;
    min-width: 22px !important;
    height: 22px;
    padding: 0 !important;
    border-radius: 50%;
  }
  .toolbar .swatch[aria-pressed='true'] {
    outline: 2px solid var(--_fg);
    outline-offset: 1px;
  }
  .zoom {
    min-width: 3.5em;
    text-align: center;
    font-variant-numeric: tabular-nums;
  }
  .stage {
    position: relative;
    flex: 1;
    min-height: 0;
    overflow: hidden;
  }
  svg {
    display: block;
    width: 100%;
    height: 100%;
    background: var(--_canvas-bg);
    touch-action: none;
    user-select: none;
  }
  svg.pen,
  svg.rect,
  svg.ellipse {
    cursor: crosshair;
  }
  svg.text {
    cursor: text;
  }
  svg.pan {
    cursor: grab;
  }
  svg.erase {
    cursor: cell;
  }
  .selection {
    fill: none;
    stroke: var(--_accent);
    stroke-dasharray: 4 3;
  }
  .cursor-label {
    font-size: 12px;
    fill: #ffffff;
  }
  .text-input {
    position: absolute;
    min-width: 8em;
    padding: 2px 4px;
    border-radius: 4px;
  }
  .status {
    position: absolute;
    right: 8px;
    bottom: 6px;
    font-size: 12px;
    pointer-events: none;
  }
`;
