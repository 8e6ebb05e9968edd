/**
 * What `<caas-whiteboard>` draws on its canvas besides its own state: the
 * shapes of the document as SVG, and the live cursors of the other users (from
 * awareness) with their names.
 *
 * @packageDocumentation
 */

import { svg, type TemplateResult } from 'lit';

import type { CollabSession } from '../../collab/collab.js';
import { colorFor, strokePath, type Shape } from './model.js';

/** A live cursor of another user, from awareness. */
export interface RemoteCursor {
  clientId: number;
  name: string;
  color: string;
  x: number;
  y: number;
}

/** The cursors of the other users on the document, from awareness. */
export function remoteCursors(session: CollabSession | undefined): RemoteCursor[] {
  if (!session) return [];
  const out: RemoteCursor[] = [];
  session.awareness.getStates().forEach((state, clientId) => {
    if (clientId === session.awareness.clientID) return;
    const cursor = state['cursor'] as { x?: unknown; y?: unknown } | null | undefined;
    if (!cursor || typeof cursor.x !== 'number' || typeof cursor.y !== 'number') return;
    const user = (state['user'] ?? {}) as { name?: unknown; color?: unknown };
    const name = typeof user.name === 'string' ? user.name : `User ${clientId}`;
    const color = typeof user.color === 'string' ? user.color : colorFor(name);
    out.push({ clientId, name, color, x: cursor.x, y: cursor.y });
  });
  return out;
}

/** A shape of the document as SVG, with its id and type as data attributes. */
export function renderShape(id: string, s: Shape): TemplateResult {
  const common = { stroke: s.color, width: s.width };
  switch (s.type) {
    case 'stroke':
      return svg`<path data-shape-id=${id} data-shape-type="stroke" d=${strokePath(s.points ?? [])} fill="none" stroke=${common.stroke} stroke-width=${common.width} stroke-linecap="round" stroke-linejoin="round"></path>`;
    case 'rect':
      return svg`<rect data-shape-id=${id} data-shape-type="rect" x=${s.x ?? 0} y=${s.y ?? 0} width=${s.w ?? 0} height=${s.h ?? 0} fill="none" stroke=${common.stroke} stroke-width=${common.width}></rect>`;
    case 'ellipse': {
      const w = s.w ?? 0;
      const h = s.h ?? 0;
      return svg`<ellipse data-shape-id=${id} data-shape-type="ellipse" cx=${(s.x ?? 0) + w / 2} cy=${(s.y ?? 0) + h / 2} rx=${w / 2} ry=${h / 2} fill="none" stroke=${common.stroke} stroke-width=${common.width}></ellipse>`;
    }
    case 'text':
      return svg`<text data-shape-id=${id} data-shape-type="text" x=${s.x ?? 0} y=${s.y ?? 0} fill=${s.color} font-size=${s.width || 20}>${s.text ?? ''}</text>`;
  }
}

/** Another user's cursor and name tag, where it is on the canvas as zoomed and panned. */
export function renderCursor(c: RemoteCursor, view: { zoom: number; panX: number; panY: number }): TemplateResult {
  const sx = c.x * view.zoom + view.panX;
  const sy = c.y * view.zoom + view.panY;
  const labelW = c.name.length * 7 + 10;
  return svg`<g data-testid="whiteboard-cursor" data-name=${c.name} transform=${`translate(${sx} ${sy})`} pointer-events="none">
    <path d="M0 0 L0 16 L4.5 12 L8 19 L10.5 18 L7 11 L12.5 11 Z" fill=${c.color} stroke="#ffffff" stroke-width="1"></path>
    <rect x="12" y="16" rx="4" width=${labelW} height="18" fill=${c.color}></rect>
    <text class="cursor-label" x="17" y="29">${c.name}</text>
  </g>`;
}
