// The app's one studio store and its worker client. Components import
// `useStudio` from here and read single values, useStudio((s) => s.step), or
// several at once with useStudioValues('step', 'loss').

import { useShallow } from 'zustand/react/shallow';
import { createStudio } from './studio';
import type { StudioState } from './types';

export const useStudio = createStudio();
export const studioClient = useStudio.client;

/**
 * Several values of the store at once, re-rendering only when one of them
 * changes (zustand's shallow comparison): `const { step, loss } = useStudioValues('step', 'loss')`.
 */
export function useStudioValues<K extends keyof StudioState>(...keys: K[]): Pick<StudioState, K> {
  return useStudio(useShallow((s) => Object.fromEntries(keys.map((k) => [k, s[k]])) as Pick<StudioState, K>));
}

export { createStudio, memoryStorage, PREFERENCES_KEY } from './studio';
export type { StudioStore, StudioPreferences } from './studio';
export { draftProblems, matchPreset, presetConfig, CUSTOM_PRESET_ID } from './modelSlice';
export { loraSpecOf, trainOptionProblems } from '../train/options';
export { mixShareProblem } from '../train/mix';
export { PHRASING_POOLS, phrasingsProblem, type PhrasingPool } from '../experiments/phrasings';
export { modelNameProblem, MAX_MODEL_NAME } from '../train/modelName';
export { allTemplates, currentTemplate, instructionTrainingData, runActive } from './selectors';
export { cleanExample, exampleProblems } from '../data/schema';
export { generateOptionProblems as genOptionProblems } from '../model/sampling';
export { MAPPING_KEYS } from './datasets/state';
export { STARTER_INDEX_URL } from './datasets/service';
export type * from './datasets/state';
export type * from './types';
export { WorkerClient, RequestError } from './workerClient';
export { canResume } from './checkpoints/slice';
export { compareBlocker } from './compare/slice';
export { DEFAULT_AUTOSAVE_EVERY } from './checkpoints/state';
export type { CheckpointsSlice, InterruptedRun } from './checkpoints/state';
export { batchCsv, batchTotals } from '../eval/batch';
export { continuesWithQuestion } from '../eval/metrics';
export { compareModelLabel, compareTemplate } from './compare/service';
export { COMPARE_TEMPLATES, CURRENT_MODEL, EVAL_SETS, MAX_COMPARE_MODELS, PRESET_PROMPTS, RAW_TEMPLATE_ID, SHIPPED_MODELS_INDEX } from './compare/state';
export type { BatchAnswer, BatchRow, BatchTotals, CompareColumn, CompareSlice, ShippedModel } from './compare/state';
export { lessonBatchTotals, lessonTemplate } from './lessons/slice';
export { publishedRecord } from './lessons/service';
export { APP_VIEWS, LESSON_QUESTION, LESSON_MAX_TOKENS, LESSON_SAMPLING_TEMPERATURE, LESSON_EVAL_SET, SELF_INSTRUCT_REVIEW_MAX, SELF_INSTRUCT_REVIEW_PROPOSALS } from './lessons/state';
export type { AppView, LessonExamples, LessonModelResult, LessonsSlice, SelfInstructDraft, TokenProbability } from './lessons/state';
export { formatBytes } from '../util/text';
export type { CheckpointMeta, PersistenceState } from '../storage/checkpoints';
