export * from 'prosemirror-schema-list';
