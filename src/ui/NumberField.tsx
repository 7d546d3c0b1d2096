// A labelled number input that keeps what the user is typing (like "1e-" on the
// way to "1e-3") while reporting NaN upward until it parses, with its
// validation messages bound to it for screen readers.

import { useEffect, useId, useState } from 'react';

interface Props {
  label: string;
  value: number;
  onChange: (value: number) => void;
  testId: string;
  /** Messages shown under the field; each gets `errorTestId`. */
  errors?: readonly string[];
  errorTestId?: string;
  hint?: string;
  min?: number;
  max?: number;
  step?: number | 'any';
  disabled?: boolean;
}

const same = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));
const parse = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));
const show = (v: number): string => (Number.isFinite(v) ? String(v) : '');

export function NumberField({ label, value, onChange, testId, errors = [], errorTestId = 'field-error', hint, min, max, step, disabled }: Props) {
  const id = useId();
  const [text, setText] = useState(() => show(value));
  // Follow changes made elsewhere (a preset, a reload) unless they are what was typed.
  useEffect(() => {
    setText((t) => (same(parse(t), value) ? t : show(value)));
  }, [value]);
  const describedBy = [hint ? `${id}-hint` : '', ...errors.map((_, i) => `${id}-err${i}`)].filter(Boolean).join(' ');
  return (
    <div className={`field${errors.length > 0 ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        data-testid={testId}
        value={text}
        min={min}
        max={max}
        step={step}
        disabled={disabled}
        aria-invalid={errors.length > 0}
        aria-describedby={describedBy || undefined}
        onChange={(e) => {
          setText(e.target.value);
          onChange(parse(e.target.value));
        }}
      />
      {hint && (
        <small id={`${id}-hint`} className="field-hint">
          {hint}
        </small>
      )}
      {errors.map((msg, i) => (
        <p key={i} id={`${id}-err${i}`} className="field-error" data-testid={errorTestId}>
          {msg}
        </p>
      ))}
    </div>
  );
}
