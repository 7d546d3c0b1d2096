// The inline rename form of datasets and checkpoints: a name field, Rename and
// Cancel. `onRename` resolves true when the new name was stored; the form then closes.

import { useState } from 'react';

export function RenameForm(props: { initial: string; inputId: string; testId: string; disabled?: boolean; onRename: (name: string) => Promise<unknown>; onClose: () => void }) {
  const [name, setName] = useState(props.initial);
  return (
    <form
      className="rename-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim() === '') return;
        void props.onRename(name).then((ok) => ok !== false && props.onClose());
      }}
    >
      <label htmlFor={props.inputId} className="visually-hidden">
        New name
      </label>
      <input id={props.inputId} data-testid={`${props.testId}-input`} value={name} autoFocus onChange={(e) => setName(e.target.value)} />
      <button type="submit" className="primary" data-testid={`${props.testId}-save`} disabled={name.trim() === '' || props.disabled}>
        Rename
      </button>
      <button type="button" onClick={props.onClose}>
        Cancel
      </button>
    </form>
  );
}
