// The catalogue of starter datasets shipped with the app (public/datasets/index.json):
// one entry per file, with the title, description and licence the list shows.

export interface StarterEntry {
  id: string;
  /** The file beside index.json, in any format the importer reads. */
  file: string;
  title: string;
  description: string;
  licence: string;
  /** Where the examples come from, when they are not our own. */
  source?: string;
  count?: number;
}

/** Reads index.json; entries without an id, file and title are skipped, anything but a list is refused. */
export function readStarterIndex(text: string): StarterEntry[] {
  const doc: unknown = JSON.parse(text);
  if (!Array.isArray(doc)) throw new Error('index.json is not a list of datasets');
  return doc.filter((e): e is StarterEntry => {
    const r = e as Partial<StarterEntry> | null;
    return !!r && typeof r.id === 'string' && typeof r.file === 'string' && typeof r.title === 'string';
  });
}
