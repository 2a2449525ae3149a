// Vite config of the playground (npm run playground / npm run playground:build). The app imports the
// library's TypeScript sources directly (src/index.ts), WASM kernels included as base64.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// Cross-origin isolation (the page and its workers get SharedArrayBuffer): the kernels' thread pool then
// runs one kernel call on every core inside the training worker (src/kernels/pool.ts). Static hosts of
// the built folder should send the same two headers; without them the playground trains on one thread.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root,
  base: './', // relative URLs: the built folder works from any path, offline
  publicDir: 'public',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 5000 }, // h5wasm's chunk (~4.8 MB) loads only when the NIR page reads a file
  worker: { format: 'es' },
  // keep class names through minification: the pages show typed errors by their class (DataError, NirError, ...),
  // and spikeflow's errors take their name from their class
  esbuild: { keepNames: true },
  server: { headers: isolation, fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  preview: { headers: isolation },
});
