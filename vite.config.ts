import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The studio is a static single-page app: everything it needs at run time
// (tfjs backends, the wasm binaries, models, datasets) is bundled or served
// from public/, so it works offline after the first load.
export default defineConfig({
  plugins: [react()],
  // Relative base so the built app also works from a sub-folder or file server.
  base: './',
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
