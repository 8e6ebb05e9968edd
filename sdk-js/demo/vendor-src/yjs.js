export * from 'yjs';
