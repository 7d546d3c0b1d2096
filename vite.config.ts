import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { offline } from './src/offline/vitePlugin';
import { CONTENT_SECURITY_POLICY } from './src/offline/csp';

// The studio is a static single-page app: everything it needs at run time
// (tfjs backends, the wasm binaries, models, datasets) is bundled or served
// from public/, and src/offline/vitePlugin.ts writes a service worker that keeps them,
// so it works offline after the first load.
export default defineConfig({
  plugins: [react(), offline()],
  // Relative base so the built app also works from a sub-folder or file server.
  base: './',
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173 },
  // The built app is previewed (and browser-tested) under its Content-Security-Policy
  // as a header too: a <meta> policy covers the page but not its workers.
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
