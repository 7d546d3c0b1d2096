// Step 3: a prompt in, the model's continuation out, one token at a time.

import { useMemo } from 'react';
import { extractResponse } from '../data/templates';
import { currentTemplate, genOptionProblems, useStudio, useStudioValues } from '../store';
import { LESSON_PROMPT } from '../store/startup';
import { formatRate } from './format';
import { Panel } from './Panel';
import { PromptBox } from './PromptBox';
import { SamplingFields } from './SamplingFields';

const DONE_TEXT: Record<'maxTokens' | 'eos' | 'cancelled' | 'failed', string> = {
  maxTokens: 'stopped at the token limit',
  eos: 'the model ended its text',
  cancelled: 'stopped by you',
  failed: 'failed; see the error above',
};

export function GeneratePanel() {
  const { prompt, genOptions, genText, genPrompt } = useStudioValues('prompt', 'genOptions', 'genText', 'genPrompt');
  const running = useStudio((s) => s.genRunning);
  const tokenCount = useStudio((s) => s.genTokenCount);
  const tokensPerSec = useStudio((s) => s.genTokensPerSec);
  const doneReason = useStudio((s) => s.genDoneReason);
  const hasModel = useStudio((s) => s.model !== null && s.modelStatus === 'ready');
  const training = useStudio((s) => s.trainState === 'running');
  const { setPrompt, generate, cancelGenerate, genFormat, setGenFormat } = useStudioValues('setPrompt', 'generate', 'cancelGenerate', 'genFormat', 'setGenFormat');
  const template = useStudio((s) => currentTemplate(s));
  const genTemplate = useStudio((s) => s.genTemplate);
  const genPromptText = useStudio((s) => s.genPromptText);

  const problems = useMemo(() => genOptionProblems(genOptions), [genOptions]);
  const blocker = !hasModel
    ? 'Create a model first.'
    : training
      ? 'Pause training to generate.'
      : problems.length > 0
        ? 'Fix the settings marked above.'
        : null;
  const canRun = !running && blocker === null;

  return (
    <Panel
      id="generate"
      step={3}
      title="Generate"
      done={doneReason === 'eos' || doneReason === 'maxTokens'}
      explain="The model continues your prompt one token at a time. Temperature, top-k and top-p decide how adventurous each pick is."
    >
      <PromptBox
        id="gen-prompt"
        rows={3}
        value={prompt}
        onChange={setPrompt}
        onRun={generate}
        canRun={canRun}
        hint={
          <>
            Ctrl+Enter generates.{' '}
            <button type="button" className="link" data-testid="gen-lesson-prompt" onClick={() => setPrompt(LESSON_PROMPT)} disabled={running}>
              Ask “{LESSON_PROMPT}”
            </button>
          </>
        }
      />
      <label className="check">
        <input type="checkbox" data-testid="gen-format" checked={genFormat} onChange={(e) => setGenFormat(e.target.checked)} />
        Format as instruction ({template.name} template, as in training)
      </label>
      <SamplingFields prefix="gen" problems={problems} hints />
      <div className="actions">
        <button type="button" className="primary" data-testid="gen-run" disabled={!canRun} onClick={generate} aria-describedby={blocker ? 'gen-blocker' : undefined}>
          {running ? 'Generating…' : 'Generate'}
        </button>
        <button type="button" data-testid="gen-stop" disabled={!running} onClick={cancelGenerate}>
          Stop
        </button>
        {blocker && !running && (
          <small id="gen-blocker" className="field-hint" data-testid="gen-blocker">
            {blocker}
          </small>
        )}
      </div>
      <div className="output" aria-busy={running} aria-label="Generated text">
        {genTemplate && genPromptText !== null ? (
          <span className="output-prompt" data-testid="gen-prompt-text" title="The exact prompt the model was given">
            {genPromptText}
          </span>
        ) : (
          genPrompt && <span className="output-prompt">{genPrompt}</span>
        )}
        <span data-testid="gen-output" className="output-text">
          {genText}
        </span>
        {running && <span className="cursor" aria-hidden="true" />}
      </div>
      {genTemplate && !running && doneReason !== null && doneReason !== 'failed' && (
        <p className="gen-answer" data-testid="gen-answer">
          <strong>Answer:</strong> {extractResponse(genText, genTemplate)}
        </p>
      )}
      <p className="gen-stats muted" aria-live="polite">
        <span data-testid="gen-tps">{formatRate(tokensPerSec)}</span> tokens/s · {tokenCount} tokens
        {doneReason && !running ? ` · ${DONE_TEXT[doneReason]}` : ''}
      </p>
    </Panel>
  );
}
