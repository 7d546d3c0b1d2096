// One example's tokens as the trainer sees them: prompt tokens (masked, no
// loss) in grey, response tokens (trained) in green. Only the tokens one
// training sequence holds are drawn; the rest are counted ("and N more
// tokens cut to fit"), so a 200 KB example stays a few dozen elements. Built
// with the model's own tokenizer and the same render/fit functions training
// uses; a long example is tokenized in the dataset worker (useExampleTokens).

import type { Example } from '../../data';
import type { PromptTemplate } from '../../data/templates';
import type { Tokenizer } from '../../tokenizer/types';
import { currentTemplate, useStudio } from '../../store';
import { formatCount, visibleTokenText } from '../format';
import { useExampleTokens } from './tokens';

const DROP_REASON = {
  'too-long': 'it is longer than the context and the rule is “leave out”',
  'no-trained-tokens': 'the prompt alone fills the context, so no response token is left to learn',
} as const;

/** The studio's model, tokenizer and template by default; the lessons pass a shipped model's own. */
export function TokenView({ example, model }: { example: Example; model?: { tokenizer: Tokenizer; contextLength: number; template: PromptTemplate } }) {
  const studioTokenizer = useStudio((s) => (s.dataTokenizer && s.dataTokenizer.modelVersion === s.modelVersion ? s.dataTokenizer.tokenizer : null));
  const studioContext = useStudio((s) => s.model?.config.contextLength ?? null);
  const hasModel = useStudio((s) => s.model !== null) || model !== undefined;
  const studioTemplate = useStudio((s) => currentTemplate(s));
  const tokenizer = model?.tokenizer ?? studioTokenizer;
  const contextLength = model?.contextLength ?? studioContext;
  const template = model?.template ?? studioTemplate;
  const trainOnInputs = useStudio((s) => s.trainOnInputs);
  const overflow = useStudio((s) => s.overflow);

  const state = useExampleTokens(example, template, tokenizer, contextLength ? { trainOnInputs, contextLength, overflow } : null);

  if (!state || state.status !== 'ready') {
    const text = !state
      ? hasModel
        ? 'Loading the model’s tokenizer…'
        : 'Create or load a model (Studio tab) to see this example as the model’s tokens.'
      : state.status === 'counting'
        ? 'Tokenizing this long example…'
        : `This example’s tokens could not be computed: ${state.message}`;
    return (
      <div className="token-view-box" data-testid="token-view" data-ready="false">
        <p className={state?.status === 'failed' ? 'field-error' : 'muted'}>{text}</p>
      </div>
    );
  }
  const shown = state.shown;
  const masked = shown.tokens.filter((t) => !t.target).length;
  return (
    <div className="token-view-box" data-testid="token-view" data-ready="true">
      <p className="token-legend">
        <span className="tok tok-masked">prompt: no loss</span> <span className="tok tok-trained">response: trained</span>{' '}
        <span className="muted" data-testid="token-summary">
          {formatCount(shown.total)} tokens: {formatCount(shown.targets)} trained, {formatCount(shown.dropped ? shown.tokens.length : masked)} masked
          {shown.truncated ? `, ${formatCount(shown.hidden)} cut to fit the context of ${contextLength}` : ''}. Template: {template.name}.
        </span>
      </p>
      {shown.dropped && (
        <p className="field-error" data-testid="token-dropped">
          Training leaves this example out: {DROP_REASON[shown.dropped]}.
        </p>
      )}
      <div className="token-view" aria-label="Tokens of the example">
        {shown.tokens.map((t, k) => (
          <span
            key={k}
            className={`tok ${t.target ? 'tok-trained' : 'tok-masked'}${t.part === 'eos' ? ' tok-eos' : ''}`}
            data-trained={t.target ? '1' : '0'}
            title={`id ${t.id} · ${t.part}${t.target ? ' · trained' : ' · masked'}`}
          >
            {visibleTokenText(t.text)}
          </span>
        ))}
      </div>
      {shown.hidden > 0 && (
        <p className="muted" data-testid="token-hidden">
          … and {formatCount(shown.hidden)} more tokens {shown.dropped ? 'past the context' : 'cut to fit'} (context {contextLength}), not shown.
        </p>
      )}
    </div>
  );
}
