// A labelled text input, one line or several, with its hint and its problems
// under it: the fields of the example editor and of the template form.

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
}

export function TextField({ id, testId, label, value, onChange, rows, hint, errors, errorTestId }: Props) {
  return (
    <div className={`field${errors.length ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {rows > 1 ? (
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
