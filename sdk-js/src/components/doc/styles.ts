/**
 * The styles of `<caas-doc>` (after the shared base styles): the toolbar, the
 * status line, the editor and the rich text in it, others' carets and
 * selections.
 *
 * @packageDocumentation
 */

import { css } from 'lit';

export const docStyles = css`
  :host {
    --_doc-bg: var(--caas-doc-bg, var(--_bg));
    --_doc-max: var(--caas-doc-max-width, 860px);
    height: 100%;
    min-height: 240px;
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
  button[data-action='bold'] {
    font-weight: 700;
  }
  button[data-action='italic'] {
    font-style: italic;
    font-family: Georgia, serif;
  }
  .sep {
    width: 1px;
    align-self: stretch;
    background: var(--_border);
    margin: 0 4px;
  }
  .spacer {
    flex: 1;
  }
  .users {
    display: flex;
    gap: 4px;
    margin: 0;
    padding: 0;
    list-style: none;
  }
  .users li {
    padding: 1px 8px;
    border-radius: 999px;
    color: #ffffff;
    font-size: 12px;
    white-space: nowrap;
  }
  .status {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    font-size: 12px;
    color: var(--_muted);
    white-space: nowrap;
  }
  .dot {
    width: 8px;
    height: 8px;
    border-radius: 50%;
    background: #bf8700;
  }
  .status[data-status='online'] .dot {
    background: #1a7f37;
  }
  .status[data-status='offline'] .dot {
    background: var(--_danger);
  }
  .scroll {
    flex: 1;
    min-height: 0;
    overflow: auto;
    background: var(--_doc-bg);
  }
  .host {
    max-width: var(--_doc-max);
    margin: 0 auto;
    min-height: 100%;
    display: flex;
    flex-direction: column;
  }
  /* ProseMirror's own rules (prosemirror-view/style/prosemirror.css). */
  .ProseMirror {
    position: relative;
    flex: 1;
    padding: 16px 24px 48px;
    outline: none;
    word-wrap: break-word;
    white-space: pre-wrap;
    white-space: break-spaces;
    font-variant-ligatures: none;
    font-feature-settings: 'liga' 0;
    line-height: 1.55;
  }
  .ProseMirror pre {
    white-space: pre-wrap;
  }
  .ProseMirror li {
    position: relative;
  }
  .ProseMirror-hideselection *::selection {
    background: transparent;
  }
  .ProseMirror-hideselection {
    caret-color: transparent;
  }
  .ProseMirror [draggable][contenteditable='false'] {
    user-select: text;
  }
  .ProseMirror-selectednode {
    outline: 2px solid var(--_focus);
  }
  li.ProseMirror-selectednode {
    outline: none;
  }
  img.ProseMirror-separator {
    display: inline !important;
    border: none !important;
    margin: 0 !important;
  }
  .ProseMirror:focus-visible {
    outline: none;
  }
  .ProseMirror[contenteditable='false'] {
    cursor: default;
  }
  .ProseMirror p {
    margin: 0 0 0.6em;
  }
  .ProseMirror h1,
  .ProseMirror h2,
  .ProseMirror h3 {
    margin: 0.8em 0 0.4em;
    line-height: 1.25;
  }
  .ProseMirror > :first-child {
    margin-top: 0;
  }
  .ProseMirror blockquote {
    margin: 0 0 0.6em;
    padding-left: 12px;
    border-left: 3px solid var(--_border);
    color: var(--_muted);
  }
  .ProseMirror pre,
  .ProseMirror code {
    font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
    background: var(--_hover);
    border-radius: 4px;
  }
  .ProseMirror pre {
    padding: 8px 12px;
  }
  .ProseMirror ul,
  .ProseMirror ol {
    margin: 0 0 0.6em;
    padding-left: 1.6em;
  }
  .ProseMirror li > p {
    margin: 0;
  }
  .ProseMirror a {
    color: var(--_accent);
  }
  .ProseMirror img {
    max-width: 100%;
  }
  .ProseMirror .placeholder::before {
    content: attr(data-placeholder);
    color: var(--_muted);
    pointer-events: none;
    float: left;
    height: 0;
  }
  /* Others' carets and selections (model.ts: buildCursor, selectionAttrs). */
  .remote-caret {
    position: relative;
    margin-left: -1px;
    margin-right: -1px;
    border-left: 2px solid;
    word-break: normal;
    pointer-events: none;
  }
  .remote-caret-label {
    position: absolute;
    top: -1.35em;
    left: -2px;
    padding: 0 4px;
    border-radius: 3px 3px 3px 0;
    color: #ffffff;
    font-size: 11px;
    font-style: normal;
    font-weight: 600;
    line-height: 1.4;
    white-space: nowrap;
    user-select: none;
  }
`;
