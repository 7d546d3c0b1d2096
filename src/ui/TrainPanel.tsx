// Step 2: the text to learn from, the run settings, the controls, live stats and the loss curve.

import { useMemo } from 'react';
import { paramCount, validateConfig } from '../model/config';
import { loraParamCount } from '../model/lora';
import { draftProblems, instructionTrainingData, loraSpecOf, mixShareProblem, runActive, trainOptionProblems, useStudio, useStudioValues } from '../store';
import type { EditableTrainOption } from '../store';
import { formatCompact, formatCount, formatDuration, formatRate } from './format';
import { LossChart } from './LossChart';
import { NumberField } from './NumberField';
import { Panel } from './Panel';
import { DataReportLine, TrainDataControls } from './data/TrainDataControls';

const OPTION_FIELDS: ReadonlyArray<{ key: EditableTrainOption; testId: string; label: string; hint: string; step: number | 'any'; min: number }> = [
  { key: 'steps', testId: 'train-steps', label: 'Steps', hint: 'Optimizer updates to run', step: 1, min: 1 },
  { key: 'batchSize', testId: 'train-batch', label: 'Batch size', hint: 'Text windows per step', step: 1, min: 1 },
  { key: 'learningRate', testId: 'train-lr', label: 'Learning rate', hint: 'Size of each update', step: 'any', min: 0 },
  { key: 'warmupSteps', testId: 'train-warmup', label: 'Warm-up', hint: 'Steps to ramp the rate up', step: 1, min: 0 },
  // The divergence message points here: a smaller clip tames loss spikes.
  { key: 'gradClip', testId: 'train-clip', label: 'Gradient clip', hint: 'Largest gradient norm per step; 0 turns clipping off', step: 'any', min: 0 },
];

/** LoRA's fields, shown when the run tunes with adapters. */
const LORA_FIELDS: ReadonlyArray<{ key: 'loraRank' | 'loraAlpha'; testId: string; label: string; hint: string }> = [
  { key: 'loraRank', testId: 'train-lora-rank', label: 'LoRA rank', hint: 'Inner size r of each adapter; 1 to the model width' },
  { key: 'loraAlpha', testId: 'train-lora-alpha', label: 'LoRA alpha', hint: 'Adapters are scaled by alpha / rank' },
];

export function TrainPanel() {
  const { trainText, trainOptions, trainState } = useStudioValues('trainText', 'trainOptions', 'trainState');
  const requested = useStudio((s) => s.trainRequested);
  const { step, totalSteps, loss, tokensPerSec, etaSec, elapsedSec, lr, trainMessage, model, draftConfig, backendReport, genRunning } = useStudioValues('step', 'totalSteps', 'loss', 'tokensPerSec', 'etaSec', 'elapsedSec', 'lr', 'trainMessage', 'model', 'draftConfig', 'backendReport', 'genRunning');
  const active = useStudio((s) => runActive(s));
  const lastVal = useStudio((s) => s.valHistory[s.valHistory.length - 1]?.loss);
  const { setTrainText, trainDataKind, setTrainDataKind, mixShare, setMixShare } = useStudioValues('setTrainText', 'trainDataKind', 'setTrainDataKind', 'mixShare', 'setMixShare');
  const usesText = trainDataKind !== 'instructions';
  const usesInstructions = trainDataKind !== 'text';
  const shareProblem = trainDataKind === 'mix' ? mixShareProblem(mixShare) : null;
  const instructionProblem = useStudio((s) => {
    if (s.trainDataKind === 'text') return null;
    const r = instructionTrainingData(s);
    return r.ok ? null : r.message;
  });
  const setTrainTuning = useStudio((s) => s.setTrainTuning);
  const setTrainLoraTargets = useStudio((s) => s.setTrainLoraTargets);
  const { setTrainOption, startTraining, pauseTraining, resumeTraining, stopTraining } = useStudioValues('setTrainOption', 'startTraining', 'pauseTraining', 'resumeTraining', 'stopTraining');

  // A run has started but no step has come back yet: shaders are compiling.
  const firstStepPending = (trainState === 'running' || requested === 'start') && loss === null;
  const gpuBackend = backendReport?.name === 'webgpu' || backendReport?.name === 'webgl';
  // Until the run's first evaluation, the Validation cell says when it comes (every evalEvery steps, and the last step).
  const noValidation = useStudio((s) => s.dataReport?.valExamples === 0);
  const firstEvalStep = active && totalSteps > 0 && trainOptions.evalEvery > 0 && !noValidation ? Math.min(Math.ceil((step + 1) / trainOptions.evalEvery) * trainOptions.evalEvery, totalSteps) : null;
  // Before a run has a total, show the steps the next run will take.
  const plannedSteps = Number.isFinite(trainOptions.steps) ? trainOptions.steps : 0;
  // The LoRA rank is bounded by the width of the model that will train: the created one, or the draft.
  const trainedShape = model?.config ?? draftConfig;
  const optionProblems = useMemo(() => trainOptionProblems(trainOptions, { width: trainedShape.width }), [trainOptions, trainedShape.width]);
  const lora = trainOptions.tuning === 'lora';
  // What a step updates: every parameter, or the adapters alone.
  const trainedCount = lora && !optionProblems.some((p) => p.field === 'loraRank') ? loraParamCount(trainedShape, trainOptions.loraRank, loraSpecOf(trainOptions)?.targets) : null;
  // The batch size is checked against the model that will train: the created one, or the draft before that.
  const fitProblems = useMemo(() => {
    const limits = backendReport ? { limits: backendReport.limits } : {};
    const all = model
      ? validateConfig(model.config, { batchSize: trainOptions.batchSize, ...limits })
      : draftProblems({ draftConfig, trainOptions, backendReport });
    return all.filter((p) => p.field === 'batchSize' || (model !== null && p.field === 'memory'));
  }, [model, draftConfig, trainOptions, backendReport]);
  const batchErrors = fitProblems.filter((p) => p.field === 'batchSize').map((p) => p.message);
  const memoryErrors = fitProblems.filter((p) => p.field === 'memory').map((p) => p.message);
  const optionErrors = (key: EditableTrainOption) =>
    key === 'batchSize' ? [] : optionProblems.filter((p) => p.field === key).map((p) => p.message);

  const startBlocker = !model
    ? 'Create a model first.'
    : active
      ? null
      : genRunning
        ? 'Wait for generation to finish.'
        : instructionProblem
          ? instructionProblem
          : usesText && trainText.trim() === ''
          ? 'Add some training text.'
          : optionProblems.length > 0 || fitProblems.length > 0 || shareProblem
            ? 'Fix the settings marked above.'
            : null;
  const canStart = !active && requested === null && startBlocker === null;
  const canPause = trainState === 'running' && requested === null;
  const canResume = trainState === 'paused' && requested === null;
  const canStop = active && requested !== 'stop';

  return (
    <Panel
      id="train"
      step={2}
      title="Train"
      className="panel-wide"
      done={trainState === 'done' || (step > 0 && !active && model !== null)}
      explain="The model reads your text again and again, learning to predict each next token. Watch the loss fall as it learns."
    >
      <div className="train-layout">
        <div className="train-inputs">
          <fieldset className="data-source">
            <legend className="visually-hidden">Learn from</legend>
            <label className="check">
              <input type="radio" name="train-data-kind" data-testid="train-data-text" checked={trainDataKind === 'text'} disabled={active} onChange={() => setTrainDataKind('text')} />
              Text
            </label>
            <label className="check">
              <input type="radio" name="train-data-kind" data-testid="train-data-instructions" checked={trainDataKind === 'instructions'} disabled={active} onChange={() => setTrainDataKind('instructions')} />
              Instruction dataset
            </label>
            <label className="check">
              <input type="radio" name="train-data-kind" data-testid="train-data-mix" checked={trainDataKind === 'mix'} disabled={active} onChange={() => setTrainDataKind('mix')} />
              Text mixed with instructions
            </label>
          </fieldset>
          {usesInstructions && <TrainDataControls disabled={active} />}
          {trainDataKind === 'mix' && (
            <NumberField
              label="Instruction share"
              hint="Share of the batches drawn from the instruction dataset; the rest come from the text. Tuning on domain text alone can wear away instruction following; mixing instructions in keeps it."
              testId="train-mix-share"
              value={mixShare}
              onChange={setMixShare}
              errors={shareProblem ? [shareProblem] : []}
              errorTestId="train-option-error"
              step={0.05}
              min={0}
              max={1}
              disabled={active}
            />
          )}
          <div className="field" style={usesText ? undefined : { display: 'none' }}>
            <label htmlFor="train-text">Training text</label>
            <textarea
              id="train-text"
              data-testid="train-text"
              rows={9}
              value={trainText}
              readOnly={active}
              spellCheck={false}
              onChange={(e) => setTrainText(e.target.value)}
              aria-describedby="train-text-hint"
            />
            <small id="train-text-hint" className="field-hint">
              {formatCount(trainText.length)} characters. The tokenizer is learned from this text when you create the model; a tenth is held out to measure validation loss.
            </small>
          </div>
          <fieldset className="data-source" data-testid="train-tuning">
            <legend className="visually-hidden">Tuning</legend>
            <label className="check">
              <input type="radio" name="train-tuning" data-testid="train-tuning-full" checked={!lora} disabled={active} onChange={() => setTrainTuning('full')} />
              Full tuning
            </label>
            <label className="check">
              <input type="radio" name="train-tuning" data-testid="train-tuning-lora" checked={lora} disabled={active} onChange={() => setTrainTuning('lora')} />
              LoRA adapters
            </label>
          </fieldset>
          {lora && (
            <>
              <div className="field-grid">
                {LORA_FIELDS.map((f) => (
                  <NumberField
                    key={f.key}
                    label={f.label}
                    hint={f.hint}
                    testId={f.testId}
                    value={trainOptions[f.key]}
                    onChange={(v) => setTrainOption(f.key, v)}
                    errors={optionErrors(f.key)}
                    errorTestId="train-option-error"
                    step={f.key === 'loraRank' ? 1 : 'any'}
                    min={f.key === 'loraRank' ? 1 : 0}
                    disabled={active}
                  />
                ))}
              </div>
              <fieldset className="data-source" data-testid="train-lora-targets">
                <legend className="visually-hidden">Adapted projections</legend>
                <label className="check">
                  <input type="radio" name="train-lora-targets" data-testid="train-lora-targets-all" checked={trainOptions.loraTargets !== 'attention'} disabled={active} onChange={() => setTrainLoraTargets('all')} />
                  Attention and MLP
                </label>
                <label className="check">
                  <input type="radio" name="train-lora-targets" data-testid="train-lora-targets-attention" checked={trainOptions.loraTargets === 'attention'} disabled={active} onChange={() => setTrainLoraTargets('attention')} />
                  Attention only (the MLPs, where facts sit, stay as pretrained)
                </label>
              </fieldset>
              <small className="field-hint" data-testid="train-lora-note">
                The model stays frozen; small adapters beside its {trainOptions.loraTargets === 'attention' ? 'attention' : 'attention and MLP'} layers train
                {trainedCount !== null ? ` (${formatCompact(trainedCount)} of ${formatCompact(paramCount(trainedShape))} parameters)` : ''}. Checkpoints and exports hold the merged model.
              </small>
            </>
          )}
          <div className="field-grid">
            {OPTION_FIELDS.map((f) => (
              <NumberField
                key={f.key}
                label={f.label}
                hint={f.hint}
                testId={f.testId}
                value={trainOptions[f.key]}
                onChange={(v) => setTrainOption(f.key, v)}
                errors={[...optionErrors(f.key), ...(f.key === 'batchSize' ? batchErrors : [])]}
                errorTestId={f.key === 'batchSize' ? 'config-error' : 'train-option-error'}
                step={f.step}
                min={f.min}
                disabled={active}
              />
            ))}
          </div>
          {memoryErrors.map((m, i) => (
            <p key={i} className="field-error" data-testid="train-config-error">
              {m}
            </p>
          ))}
          <div className="actions" role="group" aria-label="Training controls">
            <button type="button" className="primary" data-testid="train-start" disabled={!canStart} onClick={startTraining}>
              {requested === 'start' ? 'Starting…' : 'Start'}
            </button>
            <button type="button" data-testid="train-pause" disabled={!canPause} onClick={pauseTraining}>
              {requested === 'pause' ? 'Pausing…' : 'Pause'}
            </button>
            <button type="button" data-testid="train-resume" disabled={!canResume} onClick={resumeTraining}>
              Resume
            </button>
            <button type="button" data-testid="train-stop" disabled={!canStop} onClick={stopTraining}>
              {requested === 'stop' ? 'Stopping…' : 'Stop'}
            </button>
            {startBlocker && !active && <small className="field-hint">{startBlocker}</small>}
          </div>
          {firstStepPending && (
            <p className="muted" data-testid="train-first-step" role="status">
              {gpuBackend
                ? 'Preparing the GPU: the first step compiles its programs and takes longer than the rest.'
                : 'Preparing: the first step takes longer than the rest.'}
            </p>
          )}
          {trainMessage && <p className={trainState === 'failed' ? 'field-error' : 'muted'}>{trainMessage}</p>}
          <RunSaveLine />
          {usesInstructions && <DataReportLine />}
        </div>

        <div className="train-output">
          <dl className="stats" aria-live="off">
            <div>
              <dt>Status</dt>
              <dd>
                <span className={`state state-${trainState}`} data-testid="train-status">
                  {trainState}
                </span>
              </dd>
            </div>
            <div>
              <dt>Step</dt>
              <dd data-testid="train-step">
                {/* The run's step; a loaded model's earlier training is not this run's progress. */}
                {totalSteps > 0 || active ? `${step} / ${totalSteps}` : `— / ${plannedSteps}`}
              </dd>
            </div>
            <div>
              <dt>Loss</dt>
              <dd data-testid="train-loss">{loss === null ? '—' : loss.toFixed(4)}</dd>
            </div>
            <div>
              <dt>Validation</dt>
              <dd data-testid="train-val-loss">{lastVal !== undefined ? lastVal.toFixed(4) : firstEvalStep !== null ? `at step ${firstEvalStep}` : '—'}</dd>
            </div>
            <div>
              <dt>Tokens/s</dt>
              <dd data-testid="train-tps">{formatRate(tokensPerSec)}</dd>
            </div>
            <div>
              <dt>ETA</dt>
              <dd data-testid="train-eta">{trainState !== 'running' ? '—' : etaSec === null ? 'measuring…' : formatDuration(etaSec)}</dd>
            </div>
            <div>
              <dt>Elapsed</dt>
              <dd data-testid="train-elapsed">{formatDuration(elapsedSec)}</dd>
            </div>
            <div>
              <dt>Learning rate</dt>
              <dd data-testid="train-current-lr">{lr > 0 ? lr.toExponential(2) : '—'}</dd>
            </div>
          </dl>
          <LossChart />
        </div>
      </div>
    </Panel>
  );
}

/** Whether the run is saved: "Saving…" while an autosave is being written, "Saved" only once it is stored. */
function RunSaveLine() {
  const { autosaveInFlight, lastAutosave, trainState, autosaveEnabled } = useStudioValues('autosaveInFlight', 'lastAutosave', 'trainState', 'autosaveEnabled');
  if (!autosaveEnabled || trainState === 'idle' || trainState === 'failed') return null;
  if (autosaveInFlight) {
    return (
      <p className="muted" data-testid="run-save-state" data-state="saving" role="status">
        Saving the run at step {autosaveInFlight.runStep}…
      </p>
    );
  }
  if (!lastAutosave) return null;
  return (
    <p className="muted" data-testid="run-save-state" data-state="saved" role="status">
      Saved at step {lastAutosave.runStep} of {lastAutosave.totalSteps}: a reload or crash resumes from there.
    </p>
  );
}
