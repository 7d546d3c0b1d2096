// The app's one studio store and its worker client. Components import
// `useStudio` from here and read single values: useStudio((s) => s.step).

import { createStudio } from './studio';

export const useStudio = createStudio();
export const studioClient = useStudio.client;

export { createStudio, memoryStorage, PREFERENCES_KEY } from './studio';
export type { StudioStore, StudioPreferences } from './studio';
export { draftProblems, matchPreset, presetConfig, CUSTOM_PRESET_ID } from './modelSlice';
export { trainOptionProblems, runActive } from './trainingSlice';
export { genOptionProblems } from './generationSlice';
export { allTemplates, currentTemplate, exampleProblems, cleanExample, instructionTrainingData, MAPPING_KEYS, STARTER_INDEX_URL } from './datasetsSlice';
export type * from './datasetsSlice';
export type * from './types';
export { WorkerClient, WorkerRequestError } from './workerClient';
