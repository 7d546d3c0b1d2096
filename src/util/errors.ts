// Turning whatever a `catch` caught into a sentence for the user.

/**
 * The message of a caught value: an Error's message, the `message` of an
 * error-like object (a DOMException from another realm, an error that crossed
 * postMessage as a plain object), otherwise the value as text.
 */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}
