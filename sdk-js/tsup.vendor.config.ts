import { defineConfig } from 'tsup';

// `npm run build:demo-vendor`: yjs, y-websocket and y-protocols/auth as browser
// ES modules in demo/vendor/ (git-ignored), for pages that load dist/ without a
// bundler: an import map points the bare specifiers that dist/ imports lazily
// (`import('yjs')`…) at these files (see demo/whiteboard.html). Splitting keeps a
// single copy of yjs shared by the three files.
export default defineConfig({
  entry: {
    yjs: 'demo/vendor-src/yjs.js',
    'y-websocket': 'demo/vendor-src/y-websocket.js',
    'y-protocols-auth': 'demo/vendor-src/y-protocols-auth.js',
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
