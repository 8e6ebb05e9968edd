/**
 * Styles shared by the components. Every color, the corner radius and
 * the font come from CSS custom properties, so a page themes the components
 * by setting them on the elements or on any ancestor:
 *
 * | property | default | used for |
 * |---|---|---|
 * | `--caas-bg` | `#ffffff` | background |
 * | `--caas-fg` | `#1f2328` | text |
 * | `--caas-muted` | `#656d76` | secondary text: previews, times, receipts |
 * | `--caas-border` | `#d0d7de` | borders and separators |
 * | `--caas-accent` | `#0969da` | buttons, own bubbles, badges, selection |
 * | `--caas-accent-fg` | `#ffffff` | text on the accent color |
 * | `--caas-hover` | `rgba(127,127,127,.12)` | hovered and selected rows |
 * | `--caas-bubble-bg` | `#f0f2f4` | other people's bubbles |
 * | `--caas-bubble-fg` | `var(--caas-fg)` | text in other people's bubbles |
 * | `--caas-own-bubble-bg` | `var(--caas-accent)` | own bubbles |
 * | `--caas-own-bubble-fg` | `var(--caas-accent-fg)` | text in own bubbles |
 * | `--caas-danger` | `#cf222e` | errors, delete |
 * | `--caas-focus` | `var(--caas-accent)` | focus ring |
 * | `--caas-radius` | `10px` | corners of bubbles, buttons, inputs |
 * | `--caas-font` | `system-ui, sans-serif` | font family |
 * | `--caas-font-size` | `14px` | base font size |
 * | `--caas-call-tile-bg` | `#1f2328` | `<caas-call>`: tiles without video |
 * | `--caas-call-tile-fg` | `#ffffff` | `<caas-call>`: initials on those tiles |
 * | `--caas-call-speaking` | `#2da44e` | `<caas-call>`: the outline of an active speaker's tile |
 * | `--caas-call-tile-min` | `220px` | `<caas-call>`: the narrowest tile before the grid wraps |
 * | `--caas-whiteboard-bg` | `#ffffff` | `<caas-whiteboard>`: the canvas |
 * | `--caas-feed-max-width` | `640px` | `<caas-feed>`: the width of its column |
 * | `--caas-story-ring` | a gradient | `<caas-feed>`: the ring of unseen stories |
 * | `--caas-story-seen` | `var(--caas-border)` | `<caas-feed>`: the ring of seen stories |
 * | `--caas-calendar-today` | `var(--caas-accent)` | `<caas-calendar>`: today's mark |
 * | `--caas-calendar-event-bg` | the accent, light | `<caas-calendar>`: events |
 *
 * @packageDocumentation
 */

import { css } from 'lit';

/** Custom-property defaults and the base look of controls, shared by both components. */
export const baseStyles = css`
  :host {
    --_bg: var(--caas-bg, #ffffff);
    --_fg: var(--caas-fg, #1f2328);
    --_muted: var(--caas-muted, #656d76);
    --_border: var(--caas-border, #d0d7de);
    --_accent: var(--caas-accent, #0969da);
    --_accent-fg: var(--caas-accent-fg, #ffffff);
    --_hover: var(--caas-hover, rgba(127, 127, 127, 0.12));
    --_bubble-bg: var(--caas-bubble-bg, #f0f2f4);
    --_bubble-fg: var(--caas-bubble-fg, var(--_fg));
    --_own-bg: var(--caas-own-bubble-bg, var(--_accent));
    --_own-fg: var(--caas-own-bubble-fg, var(--_accent-fg));
    --_danger: var(--caas-danger, #cf222e);
    --_focus: var(--caas-focus, var(--_accent));
    --_radius: var(--caas-radius, 10px);
    display: flex;
    flex-direction: column;
    box-sizing: border-box;
    min-height: 0;
    background: var(--_bg);
    color: var(--_fg);
    font-family: var(--caas-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-size: var(--caas-font-size, 14px);
    line-height: 1.4;
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  button,
  input,
  textarea {
    font: inherit;
    color: inherit;
  }
  button {
    cursor: pointer;
    border: 1px solid var(--_border);
    background: transparent;
    border-radius: var(--_radius);
    padding: 4px 10px;
  }
  button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-fg);
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  input,
  textarea {
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 6px 10px;
  }
  :focus-visible {
    outline: 2px solid var(--_focus);
    outline-offset: 1px;
  }
  .error {
    color: var(--_danger);
    padding: 6px 12px;
  }
  .muted {
    color: var(--_muted);
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
`;
