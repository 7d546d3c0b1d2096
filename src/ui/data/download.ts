// Saving text as a file the user downloads: a Blob URL clicked through a
// temporary link. No server and no network request are involved.

export function downloadText(text: string, fileName: string, mime: string): void {
  downloadBlob(new Blob([text], { type: mime }), fileName);
}

function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoke after the browser has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A file name from a dataset name: letters, digits, dashes. */
export function safeFileName(name: string): string {
  const base = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return base || 'dataset';
}

/** Saving bytes (a checkpoint, a zip) as a file the user downloads. */
export function downloadBytes(bytes: ArrayBuffer | Uint8Array, fileName: string, mime: string): void {
  const part = bytes instanceof Uint8Array ? (bytes.slice().buffer as ArrayBuffer) : bytes;
  downloadBlob(new Blob([part], { type: mime }), fileName);
}
