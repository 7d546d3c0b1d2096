// A delete button that asks once more: "Delete…" turns into "Delete “name” for
// good" and "Keep it". Used for datasets and checkpoints.

import { useState } from 'react';

export function ConfirmDelete(props: { name: string; testId: string; disabled?: boolean; onDelete: () => void }) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" data-testid={props.testId} disabled={props.disabled} onClick={() => setConfirming(true)}>
        Delete…
      </button>
    );
  }
  return (
    <>
      <button
        type="button"
        className="danger"
        data-testid={`${props.testId}-confirm`}
        onClick={() => {
          setConfirming(false);
          props.onDelete();
        }}
      >
        Delete “{props.name}” for good
      </button>
      <button type="button" data-testid={`${props.testId}-cancel`} onClick={() => setConfirming(false)}>
        Keep it
      </button>
    </>
  );
}
