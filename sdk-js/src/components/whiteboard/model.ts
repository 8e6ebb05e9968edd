/**
 * The Yjs model of `<caas-whiteboard>`, and its operations.
 *
 * A whiteboard document holds two root types:
 *
 * - `Y.Map` **`shapes`**: shape id → shape, a plain JSON object (a `Y.Map`
 *   with the same keys is read too):
 *
 *   ```json
 *   { "type": "stroke",  "points": [x0, y0, x1, y1, …], "color": "#1f2328", "width": 3 }
 *   { "type": "rect",    "x": 10, "y": 20, "w": 100, "h": 50, "color": "#cf222e", "width": 3 }
 *   { "type": "ellipse", "x": 10, "y": 20, "w": 100, "h": 50, "color": "#0969da", "width": 3 }
 *   { "type": "text",    "x": 10, "y": 20, "text": "Hello", "color": "#1f2328", "width": 20 }
 *   ```
 *
 *   Coordinates are board units (the canvas at zoom 1 is 1 unit per CSS
 *   pixel); `x`/`y` are the top-left corner (for text, the baseline start),
 *   `w`/`h` are never negative, `width` is the stroke width (for text, the
 *   font size). Editing a shape replaces the whole object.
 * - `Y.Array` **`order`**: shape ids, back to front (z-order). A shape missing
 *   from `order` is drawn on top; an id without a shape is ignored.
 *
 * Through REST (`GET /v1/docs/{id}`) the content reads as
 * `{"shapes": {id: shape, …}, "order": [id, …]}`.
 *
 * The functions here change the document in transactions of origin
 * {@link WHITEBOARD_ORIGIN}, the origin the undo manager tracks, so that undo
 * and redo only ever revert the local user's changes.
 *
 * @packageDocumentation
 */

import type * as Y from 'yjs';

/** The kinds of shapes. */
export type ShapeType = 'stroke' | 'rect' | 'ellipse' | 'text';

/** One shape of the board (see the model above). */
export interface Shape {
  type: ShapeType;
  /** `stroke`: flat list of points, `[x0, y0, x1, y1, …]`. */
  points?: number[];
  x?: number;
  y?: number;
  w?: number;
  h?: number;
  /** `text`: the text. */
  text?: string;
  /** CSS color. */
  color: string;
  /** Stroke width (text: font size). */
  width: number;
}

/** A shape with its id. */
export interface ShapeEntry {
  id: string;
  shape: Shape;
}

/** An axis-aligned box. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The origin of the transactions of local edits (tracked by {@link createUndoManager}). */
export const WHITEBOARD_ORIGIN = 'caas-whiteboard';

/** The `shapes` map of a document. */
export function shapesOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('shapes');
}

/** The `order` array of a document. */
export function orderOf(doc: Y.Doc): Y.Array<string> {
  return doc.getArray<string>('order');
}

/** A new shape id, unique across clients. */
export function newShapeId(doc: Y.Doc): string {
  return `${doc.clientID.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function toShape(value: unknown): Shape | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  // A Y.Map (another client may write shapes as maps): read it as JSON.
  const plain = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
  if (plain === null || typeof plain !== 'object') return undefined;
  const s = plain as Partial<Shape>;
  if (s.type !== 'stroke' && s.type !== 'rect' && s.type !== 'ellipse' && s.type !== 'text') return undefined;
  return { ...s, color: typeof s.color === 'string' ? s.color : '#1f2328', width: typeof s.width === 'number' ? s.width : 3 } as Shape;
}

/** One shape, or `undefined`. */
export function getShape(doc: Y.Doc, id: string): Shape | undefined {
  return toShape(shapesOf(doc).get(id));
}

/** The shapes in drawing order (back to front). */
export function listShapes(doc: Y.Doc): ShapeEntry[] {
  const shapes = shapesOf(doc);
  const out: ShapeEntry[] = [];
  const seen = new Set<string>();
  for (const id of orderOf(doc).toArray()) {
    if (seen.has(id)) continue;
    const shape = toShape(shapes.get(id));
    if (!shape) continue;
    seen.add(id);
    out.push({ id, shape });
  }
  for (const [id, value] of shapes.entries()) {
    if (seen.has(id)) continue;
    const shape = toShape(value);
    if (shape) out.push({ id, shape });
  }
  return out;
}

/** Adds a shape on top; returns its id. */
export function addShape(doc: Y.Doc, shape: Shape, id: string = newShapeId(doc)): string {
  doc.transact(() => {
    shapesOf(doc).set(id, { ...shape });
    orderOf(doc).push([id]);
  }, WHITEBOARD_ORIGIN);
  return id;
}

/** Replaces some fields of a shape (no-op if it is gone). */
export function updateShape(doc: Y.Doc, id: string, patch: Partial<Shape>): void {
  const old = getShape(doc, id);
  if (!old) return;
  doc.transact(() => shapesOf(doc).set(id, { ...old, ...patch }), WHITEBOARD_ORIGIN);
}

/** Adds points (`[x, y, …]`) to the end of a stroke. */
export function appendPoints(doc: Y.Doc, id: string, points: number[]): void {
  const old = getShape(doc, id);
  if (!old || old.type !== 'stroke') return;
  updateShape(doc, id, { points: [...(old.points ?? []), ...points] });
}

/** `shape` moved by `(dx, dy)`. */
export function translated(shape: Shape, dx: number, dy: number): Shape {
  if (shape.type === 'stroke') {
    return { ...shape, points: (shape.points ?? []).map((v, i) => v + (i % 2 === 0 ? dx : dy)) };
  }
  return { ...shape, x: (shape.x ?? 0) + dx, y: (shape.y ?? 0) + dy };
}

/** Moves a shape by `(dx, dy)`. */
export function moveShape(doc: Y.Doc, id: string, dx: number, dy: number): void {
  const old = getShape(doc, id);
  if (!old) return;
  doc.transact(() => shapesOf(doc).set(id, translated(old, dx, dy)), WHITEBOARD_ORIGIN);
}

/** Removes a shape and its place in the z-order. */
export function eraseShape(doc: Y.Doc, id: string): void {
  doc.transact(() => {
    shapesOf(doc).delete(id);
    const order = orderOf(doc);
    for (let i = order.length - 1; i >= 0; i--) if (order.get(i) === id) order.delete(i, 1);
  }, WHITEBOARD_ORIGIN);
}

/** Moves a shape to the top of the z-order. */
export function bringToFront(doc: Y.Doc, id: string): void {
  doc.transact(() => {
    const order = orderOf(doc);
    for (let i = order.length - 1; i >= 0; i--) if (order.get(i) === id) order.delete(i, 1);
    order.push([id]);
  }, WHITEBOARD_ORIGIN);
}

/**
 * An undo manager over `shapes` and `order` that tracks only the local edits
 * (transactions of origin {@link WHITEBOARD_ORIGIN}), not remote ones.
 * `Yjs` is the `yjs` module (the components load it lazily).
 */
export function createUndoManager(Yjs: typeof Y, doc: Y.Doc): Y.UndoManager {
  const undo = new Yjs.UndoManager([shapesOf(doc), orderOf(doc)], {
    trackedOrigins: new Set([WHITEBOARD_ORIGIN]),
    captureTimeout: 400,
  });
  return undo;
}

/** The bounding box of a shape (text: estimated from its length and font size). */
export function shapeBounds(shape: Shape): Box {
  if (shape.type === 'stroke') {
    const p = shape.points ?? [];
    if (p.length < 2) return { x: 0, y: 0, w: 0, h: 0 };
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i + 1 < p.length; i += 2) {
      minX = Math.min(minX, p[i]!);
      maxX = Math.max(maxX, p[i]!);
      minY = Math.min(minY, p[i + 1]!);
      maxY = Math.max(maxY, p[i + 1]!);
    }
    return { x: minX, y: minY, w: maxX - minX, h: maxY - minY };
  }
  if (shape.type === 'text') {
    const size = shape.width || 20;
    return { x: shape.x ?? 0, y: (shape.y ?? 0) - size, w: (shape.text ?? '').length * size * 0.6, h: size * 1.25 };
  }
  return { x: shape.x ?? 0, y: shape.y ?? 0, w: shape.w ?? 0, h: shape.h ?? 0 };
}

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Whether the point `(x, y)` touches the shape, within `tolerance` board units. */
export function hitShape(shape: Shape, x: number, y: number, tolerance = 4): boolean {
  const tol = tolerance + shape.width / 2;
  if (shape.type === 'stroke') {
    const p = shape.points ?? [];
    if (p.length === 2) return Math.hypot(x - p[0]!, y - p[1]!) <= tol;
    for (let i = 0; i + 3 < p.length; i += 2) {
      if (segmentDistance(x, y, p[i]!, p[i + 1]!, p[i + 2]!, p[i + 3]!) <= tol) return true;
    }
    return false;
  }
  const b = shapeBounds(shape);
  if (shape.type === 'text') return x >= b.x - tol && x <= b.x + b.w + tol && y >= b.y - tol && y <= b.y + b.h + tol;
  if (shape.type === 'ellipse') {
    const rx = b.w / 2 + tol;
    const ry = b.h / 2 + tol;
    if (rx <= 0 || ry <= 0) return false;
    const nx = (x - (b.x + b.w / 2)) / rx;
    const ny = (y - (b.y + b.h / 2)) / ry;
    return nx * nx + ny * ny <= 1;
  }
  return x >= b.x - tol && x <= b.x + b.w + tol && y >= b.y - tol && y <= b.y + b.h + tol;
}

/** The id of the topmost shape under `(x, y)`, if any. */
export function shapeAt(doc: Y.Doc, x: number, y: number, tolerance = 4): string | undefined {
  const all = listShapes(doc);
  for (let i = all.length - 1; i >= 0; i--) if (hitShape(all[i]!.shape, x, y, tolerance)) return all[i]!.id;
  return undefined;
}

/** The box spanned by two corners (width and height never negative). */
export function boxFrom(x0: number, y0: number, x1: number, y1: number): Box {
  return { x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0) };
}

/** The SVG path data of a stroke. */
export function strokePath(points: number[]): string {
  if (points.length < 2) return '';
  const r = (v: number): number => Math.round(v * 10) / 10;
  let d = `M${r(points[0]!)} ${r(points[1]!)}`;
  if (points.length === 2) return `${d}l0.01 0`;
  for (let i = 2; i + 1 < points.length; i += 2) d += `L${r(points[i]!)} ${r(points[i + 1]!)}`;
  return d;
}

/** A stable color for a name (live cursors of users without one). */
export function colorFor(name: string): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 70% 42%)`;
}
