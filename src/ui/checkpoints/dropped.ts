// The files a drag-and-drop brings: plain files as they are, and for a dropped
// folder every file inside it (one level of sub-folders deep is plenty for a
// Hugging Face model folder), read through the browser's file-system entries.

export interface DroppedFile {
  name: string;
  bytes: ArrayBuffer;
}

/** The parts of the browser's FileSystemEntry API a drop uses (fakeable in tests). */
export interface EntryLike {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  file?(ok: (f: { name: string; arrayBuffer(): Promise<ArrayBuffer> }) => void, fail: (e: unknown) => void): void;
  createReader?(): { readEntries(ok: (entries: EntryLike[]) => void, fail: (e: unknown) => void): void };
}

/** Every file under the dropped entries, folders walked `depth` levels deep. */
export async function readEntries(entries: EntryLike[], depth = 2): Promise<DroppedFile[]> {
  const out: DroppedFile[] = [];
  for (const e of entries) {
    if (e.isFile && e.file) {
      const f = await new Promise<{ name: string; arrayBuffer(): Promise<ArrayBuffer> }>((ok, fail) => e.file!(ok, fail));
      out.push({ name: f.name, bytes: await f.arrayBuffer() });
    } else if (e.isDirectory && e.createReader && depth > 0) {
      const reader = e.createReader();
      // readEntries answers in batches until it answers with none.
      for (;;) {
        const batch = await new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        out.push(...(await readEntries(batch, depth - 1)));
      }
    }
  }
  return out;
}

/** The files of a drop event: through entries where the browser gives them (folders included), else its file list. */
export async function droppedFiles(dt: DataTransfer): Promise<DroppedFile[]> {
  const entries: EntryLike[] = [];
  for (const item of Array.from(dt.items ?? [])) {
    const entry = item.kind === 'file' ? (item.webkitGetAsEntry?.() as unknown as EntryLike | null) : null;
    if (entry) entries.push(entry);
  }
  if (entries.length > 0) return readEntries(entries);
  return Promise.all(Array.from(dt.files).map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
}
