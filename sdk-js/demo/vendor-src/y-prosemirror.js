export * from 'y-prosemirror';
