// Adding or editing one example: instruction, input, response, category and
// system prompt for a single-turn example; each turn's text for a
// conversation. Problems are shown at their field and nothing is saved
// until the example is valid. A field longer than LONG_FIELD_CHARS opens as a
// preview until the user asks to edit all of it (see TextField), so opening
// an example with a 200 KB input to fix its response stays quick.

import { useId, useState } from 'react';
import type { Example } from '../../data';
import { exampleProblems, useStudio } from '../../store';
import { TextField } from '../TextField';

interface Props {
  /** The example to edit, or null to add a new single-turn one. */
  example: Example | null;
  onDone: (savedId: string | null) => void;
}

/** Characters above which a field opens collapsed: the browser lays out ~20 KB of a text area in a few ms here, 200 KB in 50-100 ms. */
export const LONG_FIELD_CHARS = 20_000;

const EMPTY: Example = { id: '', source: 'studio', kind: 'instruction', instruction: '', input: '', response: '', category: '' };

export function ExampleEditor({ example, onDone }: Props) {
  const id = useId();
  const addExample = useStudio((s) => s.addExample);
  const updateExample = useStudio((s) => s.updateExample);
  const [draft, setDraft] = useState<Example>(() => example ?? EMPTY);
  const [showProblems, setShowProblems] = useState(false);
  const problems = exampleProblems(draft);
  const errorsFor = (field: string) => (showProblems ? problems.filter((p) => p.field === field || p.field.startsWith(`${field}[`)) : []);

  const save = () => {
    if (problems.length > 0) {
      setShowProblems(true);
      return;
    }
    if (example) onDone(updateExample(example.id, draft) ? example.id : null);
    else onDone(addExample(draft));
  };

  const text = (field: 'instruction' | 'input' | 'response' | 'category' | 'system', label: string, rows: number, hint?: string) => {
    const value = (draft as unknown as Record<string, string | undefined>)[field] ?? '';
    return (
      <TextField
        id={`${id}-${field}`}
        testId={`example-field-${field}`}
        label={label}
        value={value}
        onChange={(v) => setDraft({ ...draft, [field]: v } as Example)}
        rows={rows}
        hint={hint}
        errors={errorsFor(field).map((p) => p.message)}
        errorTestId="example-error"
        collapseOver={LONG_FIELD_CHARS}
      />
    );
  };

  return (
    <form
      className="example-editor"
      data-testid="example-editor"
      aria-label={example ? 'Edit example' : 'New example'}
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onDone(null);
      }}
    >
      <h4>{example ? 'Edit example' : 'New example'}</h4>
      {draft.kind === 'instruction' ? (
        <>
          {text('instruction', 'Instruction', 2)}
          {text('input', 'Input (optional)', 2, 'Extra material the instruction refers to.')}
          {text('response', 'Response', 3, 'The answer the model should learn to give.')}
        </>
      ) : (
        <fieldset className="turns">
          <legend>Turns</legend>
          {draft.messages.map((m, k) => (
            <TextField
              key={k}
              id={`${id}-turn-${k}`}
              testId={`example-field-turn-${k}`}
              label={`${k + 1}. ${m.role === 'user' ? 'User' : 'Assistant'}`}
              value={m.content}
              onChange={(v) => {
                const messages = draft.messages.slice();
                messages[k] = { ...m, content: v };
                setDraft({ ...draft, messages });
              }}
              rows={2}
              errors={errorsFor(`messages[${k}]`).map((p) => p.message)}
              errorTestId="example-error"
              collapseOver={LONG_FIELD_CHARS}
            />
          ))}
          {errorsFor('messages')
            .filter((p) => p.field === 'messages')
            .map((p, j) => (
              <p key={j} className="field-error" data-testid="example-error">
                {p.message}
              </p>
            ))}
        </fieldset>
      )}
      <div className="field-row">
        {text('category', 'Category (optional)', 1)}
        {text('system', 'System prompt (optional)', 1)}
      </div>
      <div className="actions">
        <button type="submit" className="primary" data-testid="example-save">
          {example ? 'Save changes' : 'Add example'}
        </button>
        <button type="button" data-testid="example-cancel" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
