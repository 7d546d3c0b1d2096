// The footer's promise, with how to check it: the page talks only to the
// server it came from, and after one visit it needs no network at all.

import { useEffect, useState } from 'react';

type OfflineCopy = 'saving' | 'ready' | 'none';

/** Whether this browser holds the offline copy (the service worker is active). */
function useOfflineCopy(): OfflineCopy {
  const supported = import.meta.env.PROD && 'serviceWorker' in navigator;
  const [state, setState] = useState<OfflineCopy>(supported ? 'saving' : 'none');
  useEffect(() => {
    if (!supported) return;
    let live = true;
    void navigator.serviceWorker.ready.then(() => live && setState('ready'));
    return () => {
      live = false;
    };
  }, [supported]);
  return state;
}

export function NothingLeaves() {
  const copy = useOfflineCopy();
  const policy = document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? null;
  return (
    <details className="nothing-leaves" data-testid="nothing-leaves">
      <summary>
        <strong>Nothing leaves this page.</strong> The model trains in a background worker on your own device; your data, models and questions are never sent anywhere.
      </summary>
      <p>
        How you can check it: open your browser's developer tools, Network tab, and use the studio. Every request goes to the address this page came from
        (the page itself, its scripts, the shipped models and datasets), never to another host. The page enforces this itself: its Content-Security-Policy
        lets it connect only to its own origin (<code>connect-src &apos;self&apos;</code>), so the browser would refuse any other request.
      </p>
      {policy && (
        <p>
          This page's policy: <code data-testid="nothing-leaves-policy">{policy}</code>
        </p>
      )}
      <p data-testid="offline-copy" data-state={copy}>
        {copy === 'ready'
          ? 'Offline copy: ready. This browser keeps the studio, its models and datasets, so it opens and runs every lesson without a network; try it by turning off Wi-Fi and reloading.'
          : copy === 'none'
            ? 'Offline copy: none (only a built copy of the studio keeps one, not the development server).'
            : 'Offline copy: being saved…'}
      </p>
    </details>
  );
}
