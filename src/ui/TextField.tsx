// A labelled text input, one line or several, with its hint and its problems
// under it: the fields of the example editor and of the template form. A
// text area whose text is longer than `collapseOver` opens as a preview with
// its size and an "Edit all of it" button: the browser lays out the whole
// text of a text area when it is shown, and for a 200 KB field that blocked
// the page for longer than a click may take.

import { useState } from 'react';
import { formatCount, textPreview } from './format';

interface Props {
  id: string;
  testId: string;
  label: string;
  value: string;
  onChange: (text: string) => void;
  /** 1 for a one-line input; more for a text area of that many rows. */
  rows: number;
  hint?: string | undefined;
  /** Problems shown under the field, each with `errorTestId`; any marks the field invalid. */
  errors: readonly string[];
  errorTestId: string;
  /** Characters above which a text area opens as a preview until the user asks to edit it. */
  collapseOver?: number | undefined;
}

export function TextField({ id, testId, label, value, onChange, rows, hint, errors, errorTestId, collapseOver }: Props) {
  const [expanded, setExpanded] = useState(false);
  const collapsed = rows > 1 && collapseOver !== undefined && value.length > collapseOver && !expanded;
  return (
    <div className={`field${errors.length ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {collapsed ? (
        <div className="long-field" data-testid={`${testId}-collapsed`}>
          <p className="long-field-preview">{textPreview(value)}</p>
          <p className="field-hint">
            {formatCount(value.length)} characters, shown in part so the page stays responsive.{' '}
            <button type="button" id={id} data-testid={`${testId}-expand`} onClick={() => setExpanded(true)}>
              Edit all of it
            </button>
          </p>
        </div>
      ) : rows > 1 ? (
        <textarea id={id} data-testid={testId} rows={rows} value={value} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input id={id} data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)} />
      )}
      {hint && <small className="field-hint">{hint}</small>}
      {errors.map((message, k) => (
        <p key={k} className="field-error" data-testid={errorTestId}>
          {message}
        </p>
      ))}
    </div>
  );
}
