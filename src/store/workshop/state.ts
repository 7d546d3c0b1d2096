// What the workshop slice holds and offers: exporting chosen datasets,
// checkpoints and the lesson progress as one pack file, and importing one.
// Types only, so StudioState can compose it without importing the slice.

export interface WorkshopSlice {
  /** What the pack panel is doing, for its buttons. */
  workshopBusy: 'export' | 'import' | null;
  /** The outcome of the last export or import. */
  workshopNotice: { kind: 'ok' | 'error'; text: string } | null;
  /** The pack file, or null after showing why it could not be made. */
  exportWorkshopPack: (choice: { datasetIds: readonly string[]; checkpointIds: readonly string[]; lessons: boolean }) => Promise<{ fileName: string; bytes: Uint8Array } | null>;
  /** Adds everything the pack holds, or nothing; resolves whether it was imported. */
  importWorkshopPack: (fileName: string, bytes: ArrayBuffer) => Promise<boolean>;
  dismissWorkshopNotice: () => void;
}
