export * from 'prosemirror-keymap';
