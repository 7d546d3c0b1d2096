// The inline rename form of datasets, checkpoints and the model in the studio: a
// name field, Rename and Cancel. `onRename` resolves false, or a message saying
// why, when the name was not stored (the form stays open and shows the message);
// anything else closes it. `check` refuses a name as it is typed, with its message.

import { useState } from 'react';

export function RenameForm(props: {
  initial: string;
  inputId: string;
  testId: string;
  disabled?: boolean;
  check?: (name: string) => string | null;
  onRename: (name: string) => Promise<unknown>;
  onClose: () => void;
}) {
  const [name, setName] = useState(props.initial);
  const [refusal, setRefusal] = useState<string | null>(null);
  const problem = props.check ? props.check(name) : name.trim() === '' ? '' : null;
  const message = refusal ?? (problem || null);
  const errorId = `${props.inputId}-error`;
  return (
    <form
      className="rename-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (problem !== null) return;
        void props.onRename(name).then((out) => {
          if (typeof out === 'string') setRefusal(out);
          else if (out !== false) props.onClose();
        });
      }}
    >
      <label htmlFor={props.inputId} className="visually-hidden">
        New name
      </label>
      <input
        id={props.inputId}
        data-testid={`${props.testId}-input`}
        value={name}
        autoFocus
        aria-invalid={message !== null}
        aria-describedby={message ? errorId : undefined}
        onChange={(e) => {
          setName(e.target.value);
          setRefusal(null);
        }}
      />
      <button type="submit" className="primary" data-testid={`${props.testId}-save`} disabled={problem !== null || props.disabled}>
        Rename
      </button>
      <button type="button" onClick={props.onClose}>
        Cancel
      </button>
      {message && (
        <p id={errorId} className="field-error" role="alert" data-testid={`${props.testId}-error`}>
          {message}
        </p>
      )}
    </form>
  );
}
