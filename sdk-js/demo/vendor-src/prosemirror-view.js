export * from 'prosemirror-view';
