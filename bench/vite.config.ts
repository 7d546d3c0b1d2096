// Builds the two benchmark pages: ours.html (the studio's engine in a worker) and
// peer.html (@genai-fi/nanogpt, which bundles its own tfjs and so gets a page of its
// own). `npm run bench` builds this into build/bench and serves it on 127.0.0.1, a
// secure context, as WebGPU requires.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  // The lesson page reads the shipped base model and datasets as the app does.
  publicDir: fileURLToPath(new URL('../public', import.meta.url)),
  logLevel: 'warn',
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../build/bench', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    rollupOptions: { input: { ours: `${here}ours.html`, peer: `${here}peer.html`, lesson: `${here}lesson.html` } },
  },
  preview: { host: '127.0.0.1' },
});
