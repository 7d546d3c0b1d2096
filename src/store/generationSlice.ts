// Text generation from the current model, streamed token by token.

import { DEFAULT_GENERATE_OPTIONS } from '../worker/protocol';
import type { GenerateOptions } from '../worker/protocol';
import { SAMPLE_PROMPT } from './sampleText';
import type { GenerationSlice, SliceCreator } from './types';
import { currentTemplate } from './datasetsSlice';

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

/** Problems with the sampling settings, by field. */
export function genOptionProblems(o: GenerateOptions): Array<{ field: keyof GenerateOptions; message: string }> {
  const problems: Array<{ field: keyof GenerateOptions; message: string }> = [];
  if (!Number.isFinite(o.temperature) || o.temperature < 0 || o.temperature > 5) {
    problems.push({ field: 'temperature', message: 'Temperature must be between 0 (always the likeliest token) and 5.' });
  }
  if (!Number.isInteger(o.topK) || o.topK < 0) {
    problems.push({ field: 'topK', message: 'Top-k must be a whole number, 0 or more (0 turns it off).' });
  }
  if (!Number.isFinite(o.topP) || o.topP <= 0 || o.topP > 1) {
    problems.push({ field: 'topP', message: 'Top-p must be above 0 and at most 1 (1 turns it off).' });
  }
  if (!Number.isInteger(o.maxTokens) || o.maxTokens < 1 || o.maxTokens > 4096) {
    problems.push({ field: 'maxTokens', message: 'Max tokens must be a whole number from 1 to 4096.' });
  }
  if (!Number.isInteger(o.seed)) {
    problems.push({ field: 'seed', message: 'The seed must be a whole number.' });
  }
  return problems;
}

export const createGenerationSlice: SliceCreator<GenerationSlice> = (ctx) => (set, get) => ({
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
    const problems = genOptionProblems(s.genOptions);
    if (problems.length > 0) {
      s.pushError({ request: 'ui', code: 'bad-input', message: problems.map((p) => p.message).join(' ') });
      return;
    }
    const id = ctx.client.newId();
    // Formatted as an instruction, the prompt goes through the template training uses.
    const template = s.genFormat ? currentTemplate(s) : null;
    set({ ...generationReset(), genId: id, genRunning: true, genStartedAt: ctx.now(), genPrompt: s.prompt, genTemplate: template });
    ctx.client
      .request({ type: 'generate', prompt: s.prompt, options: { ...s.genOptions }, ...(template ? { format: { template } } : {}) }, 'generateDone', id)
      .catch(() => {
        // The error event itself already reached the errors slice through handleEvent;
        // here only the running flag of this request is cleared.
        if (get().genId === id && get().genRunning) set({ genRunning: false, genDoneReason: 'failed' });
      });
  },

  cancelGenerate: () => {
    const { genId, genRunning } = get();
    if (genId === null || !genRunning) return;
    ctx.client.post({ type: 'cancelGenerate', id: genId });
  },
});
