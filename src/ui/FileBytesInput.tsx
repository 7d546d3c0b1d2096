// A file input that hands its chosen files over as bytes and then clears itself,
// so choosing the same file again (after fixing it, or after a refusal) fires again.
// The bytes, not text: the importers check the encoding themselves.

import { useRef } from 'react';

export interface ChosenFile {
  name: string;
  bytes: ArrayBuffer;
}

interface Props {
  id: string;
  testId: string;
  accept: string;
  disabled?: boolean;
  multiple?: boolean;
  /** Called once per choice with every chosen file read; the input clears when it settles. */
  onFiles: (files: ChosenFile[]) => unknown;
}

export function FileBytesInput({ id, testId, accept, disabled, multiple, onFiles }: Props) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <input
      ref={input}
      id={id}
      type="file"
      accept={accept}
      multiple={multiple}
      data-testid={testId}
      disabled={disabled}
      onChange={(e) => {
        const chosen = Array.from(e.target.files ?? []);
        if (chosen.length === 0) return;
        void Promise.all(chosen.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })))
          .then((files) => onFiles(files))
          .finally(() => {
            if (input.current) input.current.value = '';
          });
      }}
    />
  );
}
