import { defineConfig } from 'vite';

/**
 * The console's build: static files the gateway serves at `/` (assets under `/assets/`). JSX goes to
 * Preact's automatic runtime (tsconfig's jsxImportSource); no plugin, so no Babel in the build.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, reportCompressedSize: false },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
