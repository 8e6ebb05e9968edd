import { defineConfig } from 'tsup';

// `npm run build:demo-vendor`: yjs, y-websocket and y-protocols/auth, and for
// <caas-doc> y-prosemirror and the prosemirror-* modules, as browser ES modules
// in demo/vendor/ (git-ignored), for pages that load dist/ without a bundler: an
// import map points the bare specifiers that dist/ imports lazily (`import('yjs')`,
// and the doc editor chunk's `prosemirror-*`…) at these files (see
// demo/whiteboard.html and demo/doc.html). Splitting keeps a single copy of yjs,
// prosemirror-model, prosemirror-state… shared by all the files.
const PROSEMIRROR = [
  'prosemirror-commands',
  'prosemirror-keymap',
  'prosemirror-model',
  'prosemirror-schema-basic',
  'prosemirror-schema-list',
  'prosemirror-state',
  'prosemirror-view',
  'y-prosemirror',
];

export default defineConfig({
  entry: {
    yjs: 'demo/vendor-src/yjs.js',
    'y-websocket': 'demo/vendor-src/y-websocket.js',
    'y-protocols-auth': 'demo/vendor-src/y-protocols-auth.js',
    ...Object.fromEntries(PROSEMIRROR.map((name) => [name, `demo/vendor-src/${name}.js`])),
  },
  outDir: 'demo/vendor',
  format: ['esm'],
  target: 'es2022',
  platform: 'browser',
  dts: false,
  sourcemap: false,
  clean: true,
  splitting: true,
  treeshake: true,
  noExternal: [/.*/],
});
