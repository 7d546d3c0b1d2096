// Registers the offline service worker (dist/sw.js, written by src/offline/vitePlugin.ts).
// Only in a production build: the dev server's modules change on every edit.

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // After load, so precaching 25 MB never competes with the page's first paint.
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('./sw.js').catch((err: unknown) => {
      // The studio still works online; only the offline copy is missing.
      console.warn('Offline copy not installed:', err);
    });
  });
}
