export * from 'prosemirror-state';
