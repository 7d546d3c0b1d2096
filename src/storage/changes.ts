// Tells the studio's other tabs (and windows) of the same origin what this tab
// just stored, so they reload a record instead of editing a stale copy. One
// BroadcastChannel per channel name per tab: a channel never hears its own
// messages, so a tab reacts only to the others' writes. Where there is no
// BroadcastChannel (old browsers, a frozen tab) nothing is announced; the
// version check on every write still refuses a stale edit.

/** A stored record changed: a dataset (version null: deleted), or a checkpoint. */
export type StorageChange =
  | { kind: 'dataset'; id: string; version: number | null }
  | { kind: 'checkpoint'; id: string; version: number | null };

export interface ChangeFeed {
  /** Tells the other tabs; never throws (telling is a courtesy, the write already happened). */
  announce(change: StorageChange): void;
  /** Hears the other tabs' changes; returns the unsubscribe. */
  subscribe(listener: (change: StorageChange) => void): () => void;
}

export const CHANGES_CHANNEL = 'instruct-studio.storage';

/** A feed that tells nobody: for environments without BroadcastChannel. */
export const silentFeed: ChangeFeed = { announce: () => undefined, subscribe: () => () => undefined };

function isChange(v: unknown): v is StorageChange {
  const c = v as Partial<StorageChange> | null;
  return (
    !!c &&
    (c.kind === 'dataset' || c.kind === 'checkpoint') &&
    typeof c.id === 'string' &&
    (c.version === null || typeof c.version === 'number')
  );
}

class BroadcastFeed implements ChangeFeed {
  private channel: BroadcastChannel | null = null;
  private readonly listeners = new Set<(change: StorageChange) => void>();

  constructor(private readonly name: string) {}

  private open(): BroadcastChannel {
    if (!this.channel) {
      const channel = new BroadcastChannel(this.name);
      // In Node (tests) an open channel would keep the process alive.
      (channel as { unref?: () => void }).unref?.();
      channel.onmessage = (ev: MessageEvent) => {
        if (!isChange(ev.data)) return;
        for (const l of [...this.listeners]) l(ev.data);
      };
      this.channel = channel;
    }
    return this.channel;
  }

  announce(change: StorageChange): void {
    try {
      this.open().postMessage(change);
    } catch {
      // A closed or unavailable channel only costs the other tabs a live update.
    }
  }

  subscribe(listener: (change: StorageChange) => void): () => void {
    this.open();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const feeds = new Map<string, ChangeFeed>();

/**
 * This tab's feed on `name` (the studio's channel by default); one per name, so
 * the datasets and checkpoints repositories share it. Tests pass their own name
 * so that two studios on one test database hear each other and no one else.
 */
export function changeFeed(name = CHANGES_CHANNEL): ChangeFeed {
  if (typeof BroadcastChannel === 'undefined') return silentFeed;
  let feed = feeds.get(name);
  if (!feed) {
    feed = new BroadcastFeed(name);
    feeds.set(name, feed);
  }
  return feed;
}

/** A second feed on the same name, as another tab would have (tests only: two "tabs" in one process). */
export function otherTabFeed(name: string): ChangeFeed {
  return typeof BroadcastChannel === 'undefined' ? silentFeed : new BroadcastFeed(name);
}
