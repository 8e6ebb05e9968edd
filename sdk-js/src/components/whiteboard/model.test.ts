import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';

import {
  WHITEBOARD_ORIGIN,
  addShape,
  appendPoints,
  boxFrom,
  bringToFront,
  createUndoManager,
  eraseShape,
  getShape,
  hitShape,
  listShapes,
  moveShape,
  orderOf,
  shapeAt,
  shapeBounds,
  shapesOf,
  strokePath,
  updateShape,
} from './model.js';

/** Two documents kept in sync both ways (a local and a "remote" client). */
function pair(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(b, u, 'remote'));
  b.on('update', (u: Uint8Array, origin: unknown) => origin !== 'remote' && Y.applyUpdate(a, u, 'remote'));
  return [a, b];
}

describe('whiteboard model', () => {
  it('adds a stroke and shapes in z-order, as plain JSON', () => {
    const doc = new Y.Doc();
    const s = addShape(doc, { type: 'stroke', points: [0, 0], color: '#000', width: 3 }, 's1');
    appendPoints(doc, s, [10, 10, 20, 0]);
    const r = addShape(doc, { type: 'rect', x: 5, y: 5, w: 10, h: 20, color: '#f00', width: 2 });
    addShape(doc, { type: 'text', x: 1, y: 30, text: 'hi', color: '#00f', width: 20 }, 't1');
    expect(listShapes(doc).map((e) => e.id)).toEqual(['s1', r, 't1']);
    expect(getShape(doc, 's1')?.points).toEqual([0, 0, 10, 10, 20, 0]);
    // What REST content shows.
    expect(doc.getMap('shapes').toJSON()['t1']).toEqual({ type: 'text', x: 1, y: 30, text: 'hi', color: '#00f', width: 20 });
    expect(doc.getArray('order').toJSON()).toEqual(['s1', r, 't1']);
    bringToFront(doc, 's1');
    expect(orderOf(doc).toArray()).toEqual([r, 't1', 's1']);
  });

  it('reads shapes stored as Y.Map and shapes missing from order', () => {
    const doc = new Y.Doc();
    const m = new Y.Map<unknown>();
    doc.transact(() => {
      shapesOf(doc).set('m', m);
      m.set('type', 'ellipse');
      m.set('x', 0);
      m.set('y', 0);
      m.set('w', 10);
      m.set('h', 10);
      m.set('color', '#123');
      shapesOf(doc).set('bad', { type: 'triangle' });
      orderOf(doc).push(['ghost']);
    });
    expect(listShapes(doc)).toEqual([{ id: 'm', shape: { type: 'ellipse', x: 0, y: 0, w: 10, h: 10, color: '#123', width: 3 } }]);
  });

  it('moves, updates and erases shapes', () => {
    const doc = new Y.Doc();
    const s = addShape(doc, { type: 'stroke', points: [0, 0, 10, 5], color: '#000', width: 2 });
    const e = addShape(doc, { type: 'ellipse', x: 0, y: 0, w: 4, h: 4, color: '#000', width: 2 });
    moveShape(doc, s, 3, -1);
    moveShape(doc, e, 1, 2);
    updateShape(doc, e, boxFrom(10, 10, 4, 6));
    expect(getShape(doc, s)?.points).toEqual([3, -1, 13, 4]);
    expect(getShape(doc, e)).toMatchObject({ x: 4, y: 6, w: 6, h: 4 });
    eraseShape(doc, s);
    expect(getShape(doc, s)).toBeUndefined();
    expect(orderOf(doc).toArray()).toEqual([e]);
    moveShape(doc, 'gone', 1, 1);
    expect(listShapes(doc)).toHaveLength(1);
  });

  it('hit-tests and bounds shapes', () => {
    const doc = new Y.Doc();
    const s = addShape(doc, { type: 'stroke', points: [0, 0, 100, 0], color: '#000', width: 2 });
    const r = addShape(doc, { type: 'rect', x: 50, y: -10, w: 20, h: 20, color: '#000', width: 2 });
    expect(shapeAt(doc, 10, 2)).toBe(s);
    expect(shapeAt(doc, 60, 0)).toBe(r); // topmost
    expect(shapeAt(doc, 10, 40)).toBeUndefined();
    expect(hitShape({ type: 'ellipse', x: 0, y: 0, w: 10, h: 10, color: '', width: 0 }, 0, 0, 0)).toBe(false);
    expect(shapeBounds(getShape(doc, s)!)).toEqual({ x: 0, y: 0, w: 100, h: 0 });
    expect(strokePath([0, 0, 1.25, 2])).toBe('M0 0L1.3 2');
  });

  it('undoes and redoes only local changes', () => {
    const [a, b] = pair();
    const undo = createUndoManager(Y, a);
    const s = addShape(a, { type: 'stroke', points: [0, 0], color: '#000', width: 3 });
    appendPoints(a, s, [5, 5]);
    undo.stopCapturing();
    // A remote user's shape: not on our undo stack.
    const remote = addShape(b, { type: 'rect', x: 0, y: 0, w: 5, h: 5, color: '#f00', width: 1 });
    expect(getShape(a, remote)).toBeDefined();
    moveShape(a, s, 10, 0);
    undo.stopCapturing();
    eraseShape(a, remote);
    undo.stopCapturing();
    expect(listShapes(a).map((e) => e.id)).toEqual([s]);

    undo.undo(); // the erase
    expect(listShapes(a).map((e) => e.id)).toEqual([s, remote]);
    undo.undo(); // the move
    expect(getShape(a, s)?.points).toEqual([0, 0, 5, 5]);
    undo.undo(); // the stroke (add + points, one step)
    expect(getShape(a, s)).toBeUndefined();
    expect(getShape(a, remote)).toBeDefined();
    expect(getShape(b, s)).toBeUndefined();
    expect(undo.undoStack).toHaveLength(0);

    undo.redo();
    expect(getShape(b, s)?.points).toEqual([0, 0, 5, 5]);
    undo.redo();
    expect(getShape(a, s)?.points).toEqual([10, 0, 15, 5]);
    // Changes without the whiteboard origin are not tracked.
    a.transact(() => shapesOf(a).set('x', { type: 'rect', x: 0, y: 0, w: 1, h: 1, color: '#000', width: 1 }), 'other');
    expect(undo.undoStack).toHaveLength(2);
    a.transact(() => shapesOf(a).delete('x'), WHITEBOARD_ORIGIN);
    expect(undo.undoStack).toHaveLength(3);
  });

  it('undo of an addition is a deletion-only update, and redo restores it', () => {
    const doc = new Y.Doc();
    const undo = createUndoManager(Y, doc);
    const s = addShape(doc, { type: 'stroke', points: [0, 0], color: '#000', width: 3 });
    undo.stopCapturing();
    eraseShape(doc, s);
    undo.undo(); // restores
    undo.undo(); // undoes the addition
    expect(getShape(doc, s)).toBeUndefined();
    undo.redo();
    expect(getShape(doc, s)).toBeDefined();
    expect(listShapes(doc)).toHaveLength(1);
    undo.destroy();
  });
});
