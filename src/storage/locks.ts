// Exclusive holds across the tabs of one origin, through the Web Locks API
// (navigator.locks), so that two tabs never train into the same run or write
// the same run's autosave. Where the API is missing (Node, old browsers) the
// holds are exclusive within one LocalLocks, i.e. within this page.

/** A held lock; `release` lets the next holder in (calling it twice is harmless). */
export interface LockHold {
  readonly name: string;
  release(): void;
}

export interface Locks {
  /** Takes `name` if nobody holds it: the hold, or null. Never waits for a holder to let go. */
  tryLock(name: string): Promise<LockHold | null>;
  /** True when someone holds `name` now (false where that cannot be known). */
  held(name: string): Promise<boolean>;
}

interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
  query?(): Promise<{ held?: Array<{ name?: string }> }>;
}

/** The lock's name for one training run. */
export function runLockName(runId: string): string {
  return `instruct-studio.run.${runId}`;
}

/** Holds kept in memory: one page's worth, for where there is no Web Locks API (and for tests, one per simulated tab group). */
export class LocalLocks implements Locks {
  private readonly names = new Set<string>();

  tryLock(name: string): Promise<LockHold | null> {
    if (this.names.has(name)) return Promise.resolve(null);
    this.names.add(name);
    return Promise.resolve({ name, release: () => void this.names.delete(name) });
  }

  held(name: string): Promise<boolean> {
    return Promise.resolve(this.names.has(name));
  }
}

/** The browser's Web Locks, shared by every tab and worker of the origin. */
class WebLocks implements Locks {
  constructor(private readonly manager: LockManagerLike) {}

  tryLock(name: string): Promise<LockHold | null> {
    return new Promise<LockHold | null>((resolve, reject) => {
      this.manager
        .request(name, { ifAvailable: true }, (lock) => {
          if (!lock) {
            resolve(null);
            return Promise.resolve();
          }
          // The lock is held until this promise settles, i.e. until release().
          return new Promise<void>((released) => resolve({ name, release: () => released() }));
        })
        .catch(reject);
    });
  }

  async held(name: string): Promise<boolean> {
    if (!this.manager.query) return false;
    try {
      const state = await this.manager.query();
      return (state.held ?? []).some((l) => l.name === name);
    } catch {
      return false;
    }
  }
}

/** navigator.locks where the browser has it; a page-local LocalLocks otherwise. */
export function browserLocks(): Locks {
  const manager = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return manager ? new WebLocks(manager) : new LocalLocks();
}
