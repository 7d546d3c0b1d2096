// The prompt text box of the Generate panel and the Compare view: a labelled
// textarea where Ctrl+Enter (Cmd+Enter on a Mac) runs, the same key in both.

import type { ReactNode } from 'react';

interface Props {
  /** The textarea's id and test id ("gen-prompt"); a hint gets `${id}-hint`. */
  id: string;
  value: string;
  onChange: (text: string) => void;
  /** What Ctrl+Enter does; it does nothing while `canRun` is false. */
  onRun: () => void;
  canRun: boolean;
  rows: number;
  readOnly?: boolean;
  /** Shown under the box and bound to it for screen readers. */
  hint?: ReactNode;
}

export function PromptBox({ id, value, onChange, onRun, canRun, rows, readOnly, hint }: Props) {
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>Prompt</label>
      <textarea
        id={id}
        data-testid={id}
        rows={rows}
        value={value}
        spellCheck={false}
        readOnly={readOnly}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && canRun) {
            e.preventDefault();
            onRun();
          }
        }}
        aria-describedby={hint ? hintId : undefined}
      />
      {hint && (
        <small id={hintId} className="field-hint">
          {hint}
        </small>
      )}
    </div>
  );
}
