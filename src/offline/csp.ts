// The page's Content-Security-Policy, in one place. The build writes it into
// index.html as a <meta> tag, `vite preview` sends it as a header (so the
// trainer worker, whose script carries no <meta>, runs under it too), and the
// service worker adds it to the page and worker scripts it serves offline.
//
// Each directive says why it is there; nothing else is allowed.
export const CSP_DIRECTIVES: ReadonlyArray<readonly [string, string]> = [
  // Anything not named below: only this page's own origin.
  ['default-src', "'self'"],
  // Scripts from our own files only (no inline script, no eval). WebAssembly
  // compilation is allowed for the tfjs wasm backend, and nothing more.
  ['script-src', "'self' 'wasm-unsafe-eval'"],
  // Our own stylesheet; React and uPlot set styles through the DOM, which CSP allows.
  ['style-src', "'self'"],
  // fetch/XHR/WebSocket: our own origin only. This is the "nothing leaves this page" rule.
  ['connect-src', "'self'"],
  // The trainer and dataset workers, and the offline service worker: our own scripts.
  ['worker-src', "'self'"],
  ['img-src', "'self'"],
  ['manifest-src', "'self'"],
  ['object-src', "'none'"],
  ['base-uri', "'self'"],
  // The studio has no forms that post anywhere.
  ['form-action', "'none'"],
];

export const CONTENT_SECURITY_POLICY = CSP_DIRECTIVES.map(([k, v]) => `${k} ${v}`).join('; ');
