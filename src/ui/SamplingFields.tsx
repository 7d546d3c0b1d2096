// The sampling settings (temperature, top-k, top-p, max tokens, seed) as number
// fields bound to the store's generation options, shared by the Generate panel and
// the Compare view, which use the same options.

import { genOptionProblems, useStudio } from '../store';
import type { GenerateOptions } from '../model/sampling';
import { NumberField } from './NumberField';

const FIELDS: ReadonlyArray<{ key: Exclude<keyof GenerateOptions, 'stopAtEos'>; id: string; label: string; hint: string; step: number | 'any'; min: number; max?: number }> = [
  { key: 'temperature', id: 'temperature', label: 'Temperature', hint: '0 = always the likeliest token', step: 0.05, min: 0, max: 5 },
  { key: 'topK', id: 'topk', label: 'Top-k', hint: 'Pick among the k likeliest; 0 = off', step: 1, min: 0 },
  { key: 'topP', id: 'topp', label: 'Top-p', hint: 'Pick within this much probability; 1 = off', step: 0.05, min: 0, max: 1 },
  { key: 'maxTokens', id: 'maxtokens', label: 'Max tokens', hint: 'Length of the answer', step: 1, min: 1 },
  { key: 'seed', id: 'seed', label: 'Seed', hint: 'Same seed, same text', step: 1, min: 0 },
];

/** Test ids are `${prefix}-temperature` etc.; field errors carry `${prefix}-option-error`. */
export function SamplingFields(props: { prefix: string; problems: ReturnType<typeof genOptionProblems>; hints?: boolean; disabled?: boolean }) {
  const genOptions = useStudio((s) => s.genOptions);
  const setGenOption = useStudio((s) => s.setGenOption);
  return (
    <div className="field-grid">
      {FIELDS.map((f) => (
        <NumberField
          key={f.key}
          label={f.label}
          {...(props.hints ? { hint: f.hint } : {})}
          testId={`${props.prefix}-${f.id}`}
          value={genOptions[f.key]}
          onChange={(v) => setGenOption(f.key, v)}
          errors={props.problems.filter((p) => p.field === f.key).map((p) => p.message)}
          errorTestId={`${props.prefix}-option-error`}
          step={f.step}
          min={f.min}
          max={f.max}
          disabled={props.disabled}
        />
      ))}
    </div>
  );
}
