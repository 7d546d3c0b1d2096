// Values the UI and several slices read from the state: pure functions, so
// slices share them without importing one another.

import { BUILTIN_TEMPLATES, DEFAULT_TEMPLATE, type PromptTemplate } from '../data/templates';
import type { InstructionTrainingData } from '../train/run';
import type { StudioState } from './types';

export function allTemplates(s: Pick<StudioState, 'userTemplates'>): PromptTemplate[] {
  return [...BUILTIN_TEMPLATES, ...s.userTemplates];
}

/** The selected prompt template (the default when the id is unknown). */
export function currentTemplate(s: Pick<StudioState, 'userTemplates' | 'templateId'>): PromptTemplate {
  return allTemplates(s).find((t) => t.id === s.templateId) ?? DEFAULT_TEMPLATE;
}

/** The training data for an instruction run, or why there is none. */
export function instructionTrainingData(
  s: Pick<StudioState, 'activeDataset' | 'selectedDatasetId' | 'userTemplates' | 'templateId' | 'trainOnInputs' | 'pack' | 'overflow'>,
): { ok: true; data: InstructionTrainingData; datasetName: string } | { ok: false; message: string } {
  const d = s.activeDataset;
  if (!s.selectedDatasetId || !d || d.id !== s.selectedDatasetId) {
    return { ok: false, message: 'Choose an instruction dataset to train on (Data tab).' };
  }
  if (d.examples.length === 0) return { ok: false, message: `The dataset "${d.name}" has no examples yet: add or import some.` };
  return {
    ok: true,
    datasetName: d.name,
    data: {
      kind: 'instructions',
      examples: d.examples,
      template: currentTemplate(s),
      trainOnInputs: s.trainOnInputs,
      pack: s.pack,
      overflow: s.overflow,
      datasetId: d.id,
    },
  };
}

/** True while a run holds the model (training, or paused mid-run). */
export function runActive(s: Pick<StudioState, 'trainState'>): boolean {
  return s.trainState === 'running' || s.trainState === 'paused';
}
