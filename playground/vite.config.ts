// Vite config of the playground (npm run playground / npm run playground:build). The app imports the
// library's TypeScript sources directly (src/index.ts), WASM kernels included as base64.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './', // relative URLs: the built folder works from any path, offline
  publicDir: 'public',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 5000 }, // h5wasm's chunk (~4.8 MB) loads only when the NIR page reads a file
  worker: { format: 'es' },
  // keep class names through minification: the pages show typed errors by their class (DataError, NirError, ...),
  // and spikeflow's errors take their name from their class
  esbuild: { keepNames: true },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
});
