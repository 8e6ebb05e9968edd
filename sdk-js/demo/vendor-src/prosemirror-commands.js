export * from 'prosemirror-commands';
