// The prompt template and the encoding switches training uses: template,
// train on inputs, packing, and what happens to examples longer than the
// context. Shown in the Data view (with a form for user templates) and,
// compactly, in the Train panel.

import { useId, useState } from 'react';
import { allTemplates, useStudio, useStudioValues } from '../../store';
import type { TemplateDefinition, TemplateProblem } from '../../data/templates';
import type { OverflowRule } from '../../data/sequences';
import { TextField } from '../TextField';

interface Props {
  /** Also offer defining and deleting user templates. */
  editable?: boolean;
  disabled?: boolean;
}

export function TemplateControls({ editable = false, disabled = false }: Props) {
  const id = useId();
  const { templateId, userTemplates, trainOnInputs, pack, overflow, setTemplateId, setTrainOnInputs, setPack, setOverflow, deleteUserTemplate } = useStudioValues('templateId', 'userTemplates', 'trainOnInputs', 'pack', 'overflow', 'setTemplateId', 'setTrainOnInputs', 'setPack', 'setOverflow', 'deleteUserTemplate');
  const templates = allTemplates({ userTemplates });
  const current = templates.find((t) => t.id === templateId);
  const isUser = userTemplates.some((t) => t.id === templateId);
  const [creating, setCreating] = useState(false);

  return (
    <div className="template-controls">
      <div className="field">
        <label htmlFor={`${id}-template`}>Prompt template</label>
        <select id={`${id}-template`} data-testid="template-select" value={templateId} disabled={disabled} onChange={(e) => setTemplateId(e.target.value)}>
          {templates.map((t) => (
            <option key={t.id} value={t.id}>
              {t.name}
              {userTemplates.includes(t) ? ' (yours)' : ''}
            </option>
          ))}
        </select>
        {current && <small className="field-hint">{current.description || 'A template you defined.'}</small>}
      </div>
      <div className="check-row">
        <label className="check">
          <input type="checkbox" data-testid="train-on-inputs" checked={trainOnInputs} disabled={disabled} onChange={(e) => setTrainOnInputs(e.target.checked)} />
          Train on inputs too
        </label>
        <label className="check">
          <input type="checkbox" data-testid="pack-examples" checked={pack} disabled={disabled} onChange={(e) => setPack(e.target.checked)} />
          Pack short examples
        </label>
        <label className="check">
          Longer than the context:
          <select data-testid="overflow-rule" value={overflow} disabled={disabled} onChange={(e) => setOverflow(e.target.value as OverflowRule)}>
            <option value="truncate">cut to fit</option>
            <option value="drop">leave out</option>
          </select>
        </label>
      </div>
      <small className="field-hint">
        {trainOnInputs ? 'The loss counts every token, prompt included.' : 'The loss counts only response tokens (and the end-of-text after each); prompt tokens are masked.'}{' '}
        {pack ? 'Short examples share a row; attention never crosses from one to another.' : 'One example per row, padded.'}
      </small>
      {editable && (
        <div className="actions">
          <button type="button" data-testid="template-new" disabled={disabled} onClick={() => setCreating((c) => !c)} aria-expanded={creating}>
            {creating ? 'Close the template form' : 'New template…'}
          </button>
          {isUser && (
            <button type="button" data-testid="template-delete" disabled={disabled} onClick={() => deleteUserTemplate(templateId)}>
              Delete this template
            </button>
          )}
        </div>
      )}
      {editable && creating && <TemplateForm onDone={() => setCreating(false)} />}
    </div>
  );
}

function TemplateForm({ onDone }: { onDone: () => void }) {
  const id = useId();
  const addUserTemplate = useStudio((s) => s.addUserTemplate);
  const [def, setDef] = useState<TemplateDefinition>({ name: '', prompt: 'Q: {instruction}\n{input}\nA:', promptNoInput: 'Q: {instruction}\nA:', response: ' {response}' });
  const [problems, setProblems] = useState<TemplateProblem[]>([]);
  const field = (part: 'name' | 'prompt' | 'promptNoInput' | 'response' | 'system', label: string, hint: string, multiline: boolean) => (
    <TextField
      id={`${id}-${part}`}
      testId={`template-field-${part}`}
      label={label}
      value={def[part] ?? ''}
      onChange={(v) => setDef({ ...def, [part]: v })}
      rows={multiline ? 3 : 1}
      hint={hint}
      errors={problems.filter((p) => p.part === part).map((p) => p.message)}
      errorTestId="template-error"
    />
  );
  return (
    <form
      className="template-form"
      onSubmit={(e) => {
        e.preventDefault();
        const clean: TemplateDefinition = { ...def };
        if (!clean.promptNoInput) delete clean.promptNoInput;
        if (!clean.system) delete clean.system;
        const r = addUserTemplate(clean);
        if (r.ok) onDone();
        else setProblems(r.problems);
      }}
    >
      {field('name', 'Name', 'How the template is listed.', false)}
      {field('prompt', 'Prompt', 'Uses {instruction} and {input}; write {{ and }} for literal braces.', true)}
      {field('promptNoInput', 'Prompt without input (optional)', 'Used when an example has no input.', true)}
      {field('response', 'Response', 'Contains {response} exactly once; all of it is trained.', true)}
      {field('system', 'System part (optional)', 'Written before the first turn when there is a system prompt; uses {system}.', true)}
      <div className="actions">
        <button type="submit" className="primary" data-testid="template-save">
          Add template
        </button>
      </div>
    </form>
  );
}
