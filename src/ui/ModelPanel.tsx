// Step 1: the model's shape, a live parameter count, and Create.

import { useMemo, useState } from 'react';
import { paramCount, PRESETS } from '../model/config';
import type { ModelConfig, ShapeField } from '../model/config';
import { CUSTOM_PRESET_ID, draftProblems, modelNameProblem, runActive, useStudio, useStudioValues } from '../store';
import { formatCompact, formatCount } from './format';
import { plural } from '../util/text';
import { NumberField } from './NumberField';
import { RenameForm } from './RenameForm';
import { Panel } from './Panel';

const FIELDS: ReadonlyArray<{ key: ShapeField; label: string; hint: string }> = [
  { key: 'vocabSize', label: 'Vocabulary', hint: 'Tokens the tokenizer may learn' },
  { key: 'contextLength', label: 'Context', hint: 'Tokens the model sees at once' },
  { key: 'width', label: 'Width', hint: 'Numbers per token inside' },
  { key: 'layers', label: 'Layers', hint: 'Transformer blocks stacked' },
  { key: 'heads', label: 'Heads', hint: 'Attention heads; must divide width' },
];

export function ModelPanel() {
  const { presetId, draftConfig, modelSeed, trainOptions, backendReport } = useStudioValues('presetId', 'draftConfig', 'modelSeed', 'trainOptions', 'backendReport');
  const backendReady = useStudio((s) => s.backendStatus === 'ready');
  const model = useStudio((s) => s.model);
  const modelStatus = useStudio((s) => s.modelStatus);
  const busy = useStudio((s) => runActive(s));
  const textEmpty = useStudio((s) => s.trainText.trim() === '');
  const { choosePreset, setConfigField, setModelSeed, createModel, saveCheckpointNow } = useStudioValues('choosePreset', 'setConfigField', 'setModelSeed', 'createModel', 'saveCheckpointNow');
  const saving = useStudio((s) => s.checkpointBusy === 'save');
  const saveNotice = useStudio((s) => s.checkpointNotice);
  // Creating replaces a loaded model: ask first, and offer to save it.
  const [confirmReplace, setConfirmReplace] = useState(false);
  const [renaming, setRenaming] = useState(false);
  const renameModel = useStudio((s) => s.renameModel);
  const saveThenCreate = async () => {
    await saveCheckpointNow();
    if (useStudio.getState().checkpointNotice?.kind !== 'ok') return; // the error is shown below
    setConfirmReplace(false);
    createModel();
  };

  const problems = useMemo(() => draftProblems({ draftConfig, trainOptions, backendReport }), [draftConfig, trainOptions, backendReport]);
  const fieldErrors = (key: keyof ModelConfig) => problems.filter((p) => p.field === key).map((p) => p.message);
  const memoryErrors = problems.filter((p) => p.field === 'memory').map((p) => p.message);
  const batchInvalid = problems.some((p) => p.field === 'batchSize');
  const fieldsValid = FIELDS.every((f) => fieldErrors(f.key).length === 0);
  const seedValid = Number.isInteger(modelSeed);
  const preset = PRESETS.find((p) => p.id === presetId);

  const blocker = !backendReady
    ? 'Waiting for the backend to start.'
    : busy
      ? 'Stop training to create a new model.'
      : modelStatus === 'creating'
        ? null
        : problems.length > 0
          ? batchInvalid && fieldsValid && memoryErrors.length === 0
            ? 'Fix the batch size in the Train panel.'
            : 'Fix the values marked above.'
          : !seedValid
            ? 'The seed must be a whole number.'
            : textEmpty
              ? 'Add training text in the Train panel: the tokenizer learns from it.'
              : null;
  const canCreate = blocker === null && modelStatus !== 'creating';

  return (
    <Panel
      id="model"
      step={1}
      title="Model"
      done={modelStatus === 'ready'}
      explain={
        model
          ? "The loaded model's shape. Change it and create a new model to start again from random weights; wider and deeper models can learn more but train more slowly."
          : "Choose the network's shape. Wider and deeper models can learn more but train more slowly."
      }
    >
      <div className="field">
        <label htmlFor="preset-select">Preset</label>
        <select id="preset-select" data-testid="preset-select" value={presetId} onChange={(e) => choosePreset(e.target.value)} aria-describedby="preset-note">
          {PRESETS.map((p) => (
            <option key={p.id} value={p.id}>
              {p.label}
            </option>
          ))}
          <option value={CUSTOM_PRESET_ID} disabled={presetId !== CUSTOM_PRESET_ID}>
            Custom
          </option>
        </select>
        <small id="preset-note" className="field-hint">
          {preset ? preset.note : 'Your own shape: edit the numbers below.'}
        </small>
      </div>

      <div className="field-grid">
        {FIELDS.map((f) => (
          <NumberField
            key={f.key}
            label={f.label}
            hint={f.hint}
            testId={`cfg-${f.key}`}
            value={draftConfig[f.key]}
            onChange={(v) => setConfigField(f.key, v)}
            errors={fieldErrors(f.key)}
            errorTestId="config-error"
            min={1}
            step={1}
          />
        ))}
        <NumberField
          label="Seed"
          hint="Same seed, same run"
          testId="cfg-seed"
          value={modelSeed}
          onChange={setModelSeed}
          errors={seedValid ? [] : ['The seed must be a whole number.']}
          step={1}
        />
      </div>

      {memoryErrors.map((m, i) => (
        <p key={i} className="field-error" data-testid="config-error">
          {m}
        </p>
      ))}

      <p className="param-count" aria-live="polite">
        {fieldsValid ? (
          <>
            <strong>{formatCount(paramCount(draftConfig))}</strong> parameters ({formatCompact(paramCount(draftConfig))})
          </>
        ) : (
          'Parameter count appears once the values are valid.'
        )}
      </p>

      <div className="actions">
        <button type="button" className="primary" data-testid="create-model" disabled={!canCreate || confirmReplace} onClick={() => (model ? setConfirmReplace(true) : createModel())} aria-describedby={blocker ? 'create-blocker' : undefined}>
          {modelStatus === 'creating' ? 'Creating…' : model ? 'Create a new model' : 'Create model'}
        </button>
        {blocker && (
          <small id="create-blocker" className="field-hint">
            {blocker}
          </small>
        )}
      </div>

      {confirmReplace && model && (
        <div className="replace-confirm" role="alertdialog" aria-labelledby="replace-confirm-text" data-testid="replace-confirm">
          <p id="replace-confirm-text">
            A new model replaces <strong>{model.name}</strong> ({formatCompact(model.paramCount)} parameters) with untrained random weights. Save it first to
            keep it in Checkpoints.
          </p>
          {saveNotice?.kind === 'error' && <p className="field-error">{saveNotice.text}</p>}
          <div className="actions">
            <button type="button" className="primary" data-testid="replace-save" disabled={saving} onClick={() => void saveThenCreate()}>
              {saving ? 'Saving…' : 'Save it, then create'}
            </button>
            <button
              type="button"
              data-testid="replace-discard"
              disabled={saving}
              onClick={() => {
                setConfirmReplace(false);
                createModel();
              }}
            >
              Replace without saving
            </button>
            <button type="button" data-testid="replace-cancel" disabled={saving} onClick={() => setConfirmReplace(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}

      {modelStatus === 'creating' && <p className="muted">Preparing the model (a new one learns its tokenizer from your text first)…</p>}
      {model && modelStatus === 'ready' && (
        <>
          <p className="model-summary" data-testid="model-summary">
            Model ready{model.name ? <>: <strong data-testid="model-name">{model.name}</strong></> : ''}, <strong>{formatCount(model.paramCount)} parameters</strong>, a vocabulary of {model.tokenizerVocab} tokens, context{' '}
            {model.config.contextLength}, width {model.config.width}, {plural(model.config.layers, 'layer')} × {plural(model.config.heads, 'head')}.{' '}
            {!renaming && (
              <button type="button" className="link" data-testid="model-rename" onClick={() => setRenaming(true)}>
                Rename
              </button>
            )}
          </p>
          {renaming && (
            <RenameForm initial={model.name} inputId="model-rename-input" testId="model-rename" check={modelNameProblem} onRename={renameModel} onClose={() => setRenaming(false)} />
          )}
        </>
      )}
    </Panel>
  );
}
