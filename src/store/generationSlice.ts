// Text generation from the current model, streamed token by token.

import { DEFAULT_GENERATE_OPTIONS, generateOptionProblems } from '../model/sampling';
import { asStudioError } from './errorsSlice';
import { SAMPLE_PROMPT } from './sampleText';
import type { GenerationSlice, SliceCreator } from './types';
import { currentTemplate } from './selectors';

export function generationReset() {
  return {
    genText: '',
    genRunning: false,
    genId: null,
    genTokenCount: 0,
    genTokensPerSec: 0,
    genDoneReason: null,
    genPromptText: null,
    genTemplate: null,
  } satisfies Partial<GenerationSlice>;
}

export const createGenerationSlice: SliceCreator<GenerationSlice, 'model' | 'trainState' | 'pushError' | 'userTemplates' | 'templateId'> = (ctx) => (set, get) => ({
  prompt: SAMPLE_PROMPT,
  genOptions: { ...DEFAULT_GENERATE_OPTIONS },
  genStartedAt: 0,
  genPrompt: '',
  genFormat: false,
  ...generationReset(),

  setGenFormat: (on) => set({ genFormat: on }),

  setPrompt: (prompt) => set({ prompt }),

  setGenOption: (key, value) => set({ genOptions: { ...get().genOptions, [key]: value } }),

  generate: () => {
    const s = get();
    if (!s.model || s.genRunning) return;
    if (s.trainState === 'running') {
      s.pushError({ request: 'ui', code: 'busy', message: 'Pause training to generate.' });
      return;
    }
    const problems = generateOptionProblems(s.genOptions);
    if (problems.length > 0) {
      s.pushError({ request: 'ui', code: 'bad-input', message: problems.map((p) => p.message).join(' ') });
      return;
    }
    // Formatted as an instruction, the prompt goes through the template training uses.
    const template = s.genFormat ? currentTemplate(s) : null;
    const { id, reply } = ctx.client.send('generate', { prompt: s.prompt, options: { ...s.genOptions }, ...(template ? { format: { template } } : {}) });
    set({ ...generationReset(), genId: id, genRunning: true, genStartedAt: ctx.now(), genPrompt: s.prompt, genTemplate: template });
    reply.then(
      (done) => {
        if (get().genId !== id) return;
        // The final text is authoritative: a character split across two tokens only decodes once both are there.
        set({ genText: done.text, genRunning: false, genTokenCount: done.tokenCount, genTokensPerSec: done.tokensPerSec, genDoneReason: done.reason });
      },
      (e: unknown) => {
        get().pushError(asStudioError(e));
        if (get().genId === id && get().genRunning) set({ genRunning: false, genDoneReason: 'failed' });
      },
    );
  },

  cancelGenerate: () => {
    const { genId, genRunning } = get();
    if (genId === null || !genRunning) return;
    ctx.client.request('cancelGenerate', { generateId: genId }).catch((e: unknown) => get().pushError(asStudioError(e)));
  },
});
