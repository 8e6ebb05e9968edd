import { defineConfig } from 'tsup';

export default defineConfig({
  // dist/index.js: the core client, without Lit. dist/components.js: the web
  // components, with Lit bundled in, so that a page can load both files as they
  // are (the demo does, from /demo/sdk/) with no bare module specifier left.
  // Code both entries share goes to a chunk both import.
  entry: { index: 'src/index.ts', components: 'src/components/index.ts' },
  format: ['esm'],
  target: 'es2022',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
  splitting: true,
  noExternal: ['lit', /^lit\//, 'lit-html', /^lit-html\//, 'lit-element', /^lit-element\//, /^@lit\//],
});
