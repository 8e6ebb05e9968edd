/**
 * The ProseMirror side of `<caas-doc>`: the schema, the commands of the
 * toolbar and the keymap, and the editor bound to a `Y.XmlFragment` through
 * y-prosemirror (sync, remote cursors, undo of one's own changes).
 *
 * `<caas-doc>` loads this module with `import()` when it opens a document, so
 * that `@caas/sdk/components` itself imports neither ProseMirror nor
 * y-prosemirror (a page without a bundler maps their bare names with an import
 * map, as `demo/doc.html` does).
 *
 * @packageDocumentation
 */

import { baseKeymap, setBlockType, toggleMark } from 'prosemirror-commands';
import { keymap } from 'prosemirror-keymap';
import { Schema, type MarkType, type Node as PMNode, type NodeType } from 'prosemirror-model';
import { schema as basicSchema } from 'prosemirror-schema-basic';
import { addListNodes, liftListItem, sinkListItem, splitListItem, wrapInList } from 'prosemirror-schema-list';
import { EditorState, Plugin, type Command } from 'prosemirror-state';
import { Decoration, DecorationSet, EditorView } from 'prosemirror-view';
import { redoCommand, undoCommand, yCursorPlugin, ySyncPlugin, yUndoPlugin, yUndoPluginKey } from 'y-prosemirror';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';

import { buildCursor, selectionAttrs, type DocAction, type DocToolbarState } from './model.js';

/** prosemirror-schema-basic with bulleted and numbered lists (see `model.ts`). */
export const docSchema = new Schema({
  nodes: addListNodes(basicSchema.spec.nodes, 'paragraph block*', 'block'),
  marks: basicSchema.spec.marks,
});

const nodes = docSchema.nodes as unknown as Record<'paragraph' | 'heading' | 'bullet_list' | 'ordered_list' | 'list_item' | 'hard_break', NodeType>;
const marks = docSchema.marks as unknown as Record<'strong' | 'em', MarkType>;

/** Whether `type` is on at the selection (stored marks for an empty one). */
export function markActive(state: EditorState, type: MarkType): boolean {
  const { from, $from, to, empty } = state.selection;
  if (empty) return type.isInSet(state.storedMarks ?? $from.marks()) !== undefined;
  return state.doc.rangeHasMark(from, to, type);
}

/** The level of the heading the selection is in, or 0. */
export function headingLevel(state: EditorState): number {
  const { $from, $to } = state.selection;
  const parent = $from.parent;
  return parent.type === nodes.heading && $from.sameParent($to) ? Number(parent.attrs['level']) : 0;
}

/** The innermost list around the selection: its node, position and type. */
export function listAround(state: EditorState): { node: PMNode; pos: number } | undefined {
  const { $from } = state.selection;
  for (let d = $from.depth; d > 0; d--) {
    const node = $from.node(d);
    if (node.type === nodes.bullet_list || node.type === nodes.ordered_list) return { node, pos: $from.before(d) };
  }
  return undefined;
}

/** Heading `level` for the selected blocks, or back to paragraphs when they are that heading already. */
export function toggleHeading(level: number): Command {
  return (state, dispatch) =>
    headingLevel(state) === level
      ? setBlockType(nodes.paragraph)(state, dispatch)
      : setBlockType(nodes.heading, { level })(state, dispatch);
}

/**
 * A list of `type` around the selection: wraps it in one, lifts it out of
 * one of that type, and turns a list of the other type into this one.
 */
export function toggleList(type: NodeType): Command {
  return (state, dispatch) => {
    const list = listAround(state);
    if (list && list.node.type === type) return liftListItem(nodes.list_item)(state, dispatch);
    if (list) {
      dispatch?.(state.tr.setNodeMarkup(list.pos, type).scrollIntoView());
      return true;
    }
    return wrapInList(type)(state, dispatch);
  };
}

const insertHardBreak: Command = (state, dispatch) => {
  dispatch?.(state.tr.replaceSelectionWith(nodes.hard_break.create()).scrollIntoView());
  return true;
};

/** The command of a toolbar action. */
export function commandFor(action: DocAction): Command {
  switch (action) {
    case 'bold':
      return toggleMark(marks.strong);
    case 'italic':
      return toggleMark(marks.em);
    case 'heading1':
      return toggleHeading(1);
    case 'heading2':
      return toggleHeading(2);
    case 'heading3':
      return toggleHeading(3);
    case 'bulletList':
      return toggleList(nodes.bullet_list);
    case 'orderedList':
      return toggleList(nodes.ordered_list);
    case 'undo':
      return undoCommand;
    case 'redo':
      return redoCommand;
  }
}

/** Whether each toolbar action is on and applies, at `state` (nothing applies when not `editable`). */
export function toolbarState(state: EditorState, editable: boolean): DocToolbarState {
  const can = (action: DocAction): boolean => {
    if (!editable) return false;
    try {
      return commandFor(action)(state) === true;
    } catch {
      // undo/redo without the y-prosemirror plugins.
      return false;
    }
  };
  const level = headingLevel(state);
  const list = listAround(state)?.node.type;
  const entry = (action: DocAction, active: boolean): { active: boolean; enabled: boolean } => ({ active, enabled: can(action) });
  return {
    bold: entry('bold', markActive(state, marks.strong)),
    italic: entry('italic', markActive(state, marks.em)),
    heading1: entry('heading1', level === 1),
    heading2: entry('heading2', level === 2),
    heading3: entry('heading3', level === 3),
    bulletList: entry('bulletList', list === nodes.bullet_list),
    orderedList: entry('orderedList', list === nodes.ordered_list),
    undo: entry('undo', false),
    redo: entry('redo', false),
  };
}

/**
 * `command`, but the key counts as handled even when there is nothing to do,
 * so that the browser's own undo of the contenteditable never runs behind
 * ProseMirror's back.
 */
function swallow(command: Command): Command {
  return (state, dispatch, view) => {
    command(state, dispatch, view);
    return true;
  };
}

/** The keymap of the editor: the toolbar's shortcuts, list keys, and Shift+Enter for a line break. */
export function docKeymap(): Record<string, Command> {
  return {
    'Mod-z': swallow(undoCommand),
    'Mod-y': swallow(redoCommand),
    'Mod-Shift-z': swallow(redoCommand),
    'Mod-b': commandFor('bold'),
    'Mod-i': commandFor('italic'),
    'Mod-Alt-1': commandFor('heading1'),
    'Mod-Alt-2': commandFor('heading2'),
    'Mod-Alt-3': commandFor('heading3'),
    'Mod-Alt-0': setBlockType(nodes.paragraph),
    'Shift-Mod-8': commandFor('bulletList'),
    'Shift-Mod-9': commandFor('orderedList'),
    Enter: splitListItem(nodes.list_item),
    'Mod-[': liftListItem(nodes.list_item),
    'Mod-]': sinkListItem(nodes.list_item),
    'Shift-Enter': insertHardBreak,
  };
}

/** Whether a document is one empty paragraph (then the placeholder shows). */
export function isEmptyDoc(doc: PMNode): boolean {
  return doc.childCount === 0 || (doc.childCount === 1 && doc.firstChild!.isTextblock && doc.firstChild!.content.size === 0);
}

function placeholderPlugin(text: () => string): Plugin {
  return new Plugin({
    props: {
      decorations(state) {
        const first = state.doc.firstChild;
        const label = text();
        if (!label || !first || !isEmptyDoc(state.doc)) return null;
        return DecorationSet.create(state.doc, [Decoration.node(0, first.nodeSize, { class: 'placeholder', 'data-placeholder': label })]);
      },
    },
  });
}

/**
 * y-prosemirror 1.3.7 calls `view.root.createRange()` when a remote change
 * arrives while the editor has the focus; in a shadow root (`<caas-doc>`'s)
 * `root` is the `ShadowRoot`, which has no `createRange`, so the change threw
 * before it reached ProseMirror, and the next local edit wrote the stale
 * ProseMirror content back over it (yjs/y-prosemirror PRs #36, #58, #196).
 * Give that shadow root (only it, not the prototype) the document's
 * `createRange`: a Range of the document may span nodes of its shadow trees.
 */
export function shimShadowRootCreateRange(place: Node, ownerDocument: Document): void {
  const root = place.getRootNode() as Node & { createRange?: unknown; host?: unknown };
  if (root === ownerDocument || !root.host || typeof root.createRange === 'function') return;
  Object.defineProperty(root, 'createRange', { value: () => ownerDocument.createRange(), configurable: true, writable: true });
}

/** Options of {@link createDocEditor}. */
export interface DocEditorOptions {
  /** The shared content (`doc.getXmlFragment(DOC_FRAGMENT)`). */
  fragment: Y.XmlFragment;
  /** The document's awareness: the local cursor goes there, remote ones come from it (`user: {name, color}`). */
  awareness: Awareness;
  /** The element the editor goes into. */
  place: HTMLElement;
  /** Asked on every update: whether the user may type. */
  editable: () => boolean;
  /** Text shown in an empty document. */
  placeholder: () => string;
  /** Attributes of the contenteditable element, asked on every update. */
  attributes: () => Record<string, string>;
  /** Called after every transaction (toolbar state may have changed). */
  onUpdate: () => void;
}

/** An editor made by {@link createDocEditor}. */
export interface DocEditor {
  /** The ProseMirror view. */
  view: EditorView;
  /** The undo manager of y-prosemirror (the local user's changes only). */
  undoManager: Y.UndoManager;
  /** Runs a toolbar action on the current selection; false when it does not apply. */
  exec(action: DocAction): boolean;
  /** The toolbar state now. */
  toolbar(): DocToolbarState;
  /** Asks `editable` and `attributes` again. */
  refresh(): void;
  /** Releases the view and its bindings (the local cursor leaves awareness). */
  destroy(): void;
}

/**
 * An editor in `place` bound to `fragment`: y-prosemirror's sync plugin
 * (content), cursor plugin (others' carets and selections, built by
 * `buildCursor` / `selectionAttrs`) and undo plugin (Ctrl+Z undoes only the
 * local user's changes), the keymap, and a placeholder.
 */
export function createDocEditor(options: DocEditorOptions): DocEditor {
  const ownerDocument = options.place.ownerDocument;
  shimShadowRootCreateRange(options.place, ownerDocument);
  const state = EditorState.create({
    schema: docSchema,
    plugins: [
      ySyncPlugin(options.fragment),
      yCursorPlugin(options.awareness, {
        cursorBuilder: (user: { name?: unknown; color?: unknown }, clientId: number) => buildCursor(user, clientId, ownerDocument),
        selectionBuilder: (user: { name?: unknown; color?: unknown }, clientId: number) => selectionAttrs(user, clientId),
      }),
      yUndoPlugin(),
      keymap(docKeymap()),
      keymap(baseKeymap),
      placeholderPlugin(options.placeholder),
    ],
  });
  const view: EditorView = new EditorView(options.place, {
    state,
    editable: () => options.editable(),
    attributes: () => options.attributes(),
    // Also called while the view is being built (y-prosemirror renders the fragment), so through `this`.
    dispatchTransaction(this: EditorView, tr) {
      // y-prosemirror dispatches awareness changes from a timer, which may fire after destroy().
      if (this.isDestroyed) return;
      this.updateState(this.state.apply(tr));
      options.onUpdate();
    },
  });
  const undoManager = (yUndoPluginKey.getState(view.state) as { undoManager: Y.UndoManager }).undoManager;
  undoManager.on('stack-item-added', options.onUpdate);
  undoManager.on('stack-item-popped', options.onUpdate);
  return {
    view,
    undoManager,
    exec(action) {
      if (!options.editable()) return false;
      const ok = commandFor(action)(view.state, view.dispatch, view);
      // The next typing is a new undo step.
      if (ok && action !== 'undo' && action !== 'redo') undoManager.stopCapturing();
      return ok;
    },
    toolbar() {
      return toolbarState(view.state, options.editable());
    },
    refresh() {
      view.setProps({});
    },
    destroy() {
      undoManager.off('stack-item-added', options.onUpdate);
      undoManager.off('stack-item-popped', options.onUpdate);
      view.destroy();
    },
  };
}
