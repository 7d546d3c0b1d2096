// What the lessons slice holds and offers: which view is open, the lesson step
// and presenter mode (small UI preferences that survive a reload), and the
// live experiments of the steps: next-token probabilities and answers of the
// models a step asks. Types and constants only, so StudioState can compose it
// without importing the slice. The steps themselves (texts and experiments)
// are a typed list in src/ui/lessons/steps.tsx.

import type { InstructionExample } from '../../data/schema';
import type { BatchRow } from '../../eval/batch';
import type { Tokenizer } from '../../tokenizer/types';
import type { ExperimentName, ExperimentResult } from '../../experiments';

/** The views of the page; the lessons come first and are where a first visit lands. */
export const APP_VIEWS = ['lessons', 'studio', 'data', 'compare', 'checkpoints'] as const;
export type AppView = (typeof APP_VIEWS)[number];

/** The lesson's question, asked first and one click away afterwards. */
export const LESSON_QUESTION = 'What is the capital of France?';
/** How many next tokens the probability bars show. */
export const TOP_TOKENS = 10;
/** Temperature of the lesson's "sample" setting, as the Compare view's default (MEASURED.md). */
export const LESSON_SAMPLING_TEMPERATURE = 0.8;
/** Tokens each lesson answer generates: enough for "Paris" or a whole next question. */
export const LESSON_MAX_TOKENS = 12;
/** Questions of the held-out batch the Compare step runs (the rest take long on slow backends). */
export const LESSON_BATCH_SIZE = 10;
/** The evaluation set of the Compare step: capitals of countries never seen in tuning. */
export const LESSON_EVAL_SET = 'geo-eval-heldout-capitals';

/** One candidate next token and its probability (softmax over the whole vocabulary). */
export interface TokenProbability {
  id: number;
  /** The token's text, as the tokenizer decodes it alone (often with a leading space). */
  text: string;
  p: number;
}

export type ExperimentStatus = 'idle' | 'loading' | 'running' | 'done' | 'failed';

/** What one model says about the lesson's question: the next-token bars and its answer. */
export interface LessonModelResult {
  status: ExperimentStatus;
  /** The exact text the model was given, after the template. */
  promptText: string;
  /** The most likely next tokens at the answer position, most likely first (empty for models without bars). */
  top: TokenProbability[];
  /** The generated answer so far. */
  answer: string;
  error: string | null;
}

/** The small preferences of the lessons kept across reloads (in the store's `persist`). */
export interface LessonPreferences {
  openView: AppView;
  /** Id of the lesson step on screen (a step list change falls back to the first). */
  lessonStepId: string;
  presenter: boolean;
}

export interface LessonsSlice extends LessonPreferences {
  /** The question the lesson asks; the learner may type their own. */
  lessonQuestion: string;
  /** Sample (temperature 0.8) instead of greedy decoding. Off: lessons decode greedily. */
  lessonSampling: boolean;
  /** The models of the last question asked, in column order, and what each said. */
  lessonShown: string[];
  lessonResults: Record<string, LessonModelResult>;
  lessonRunning: boolean;
  lessonError: string | null;
  /** The shipped tuned model's tokenizer and context, for the token view of the Data step. */
  lessonTokenizer: { tokenizer: Tokenizer; contextLength: number } | null;
  /** Starter examples shown in the Data step, one per published format. */
  lessonExamples: LessonExamples | null;
  lessonDataError: string | null;
  /** The held-out batch of the Compare step (scored as the Compare view's batch is). */
  lessonBatch: LessonBatch;
  /** How many held-out questions the batch asks. */
  lessonBatchSize: number;
  /** The experiment a step runs (mix, flan, ...): its progress and its last result by name. */
  lessonExperiment: LessonExperiment;

  setOpenView: (view: AppView) => void;
  setLessonStep: (id: string) => void;
  setPresenter: (on: boolean) => void;
  setLessonQuestion: (q: string) => void;
  setLessonSampling: (on: boolean) => void;
  setLessonBatchSize: (n: number) => void;
  /** Asks the models behind `keys` the lesson's question: next-token bars (shipped models) and answers. */
  askLesson: (keys: readonly string[]) => Promise<void>;
  /** Reads the starter examples and the tuned model's tokenizer for the Data step (once). */
  loadLessonData: () => Promise<void>;
  /** Loads the shipped base model into the studio, to be tuned (after a backend switch emptied it). */
  loadLessonBase: () => Promise<void>;
  /** Runs the held-out batch of the Compare step through the compare slice (greedy). */
  runLessonBatch: (keys: readonly string[]) => Promise<void>;
  /** Runs a named experiment in the worker from a shipped model (copies are tuned; nothing is saved). */
  runLessonExperiment: (name: 'mix' | 'flan') => Promise<void>;
  /** Self-instruct's proposals written by the shipped tuned model, for review: edit, accept, save. */
  selfInstructDrafts: SelfInstructDraft[];
  /** The name the reviewed pairs were last saved under (cleared by the next edit or proposal run). */
  selfInstructSaved: string | null;
  /** Has the shipped tuned model propose `count` instructions and answer the kept ones (no tuning); they become the drafts. */
  proposeSelfInstruct: (count: number) => Promise<void>;
  editSelfInstructDraft: (id: string, patch: Partial<Omit<SelfInstructDraft, 'id'>>) => void;
  /** Saves the accepted drafts as a new dataset (opened in the Data tab); resolves with why not, or null. */
  saveSelfInstructDrafts: (name: string) => Promise<string | null>;
  stopLessonExperiment: () => void;
  /** A progress line from the worker's experiment. */
  onExperimentProgress: (line: string) => void;
}

/** One proposed pair under review: the model's instruction and answer, as the user edited them. */
export interface SelfInstructDraft {
  id: string;
  instruction: string;
  response: string;
  /** Goes into the dataset on save. */
  accepted: boolean;
}

/** Proposals the studio's review asks for by default: each takes a moment on a slow backend. */
export const SELF_INSTRUCT_REVIEW_PROPOSALS = 40;
/** The most proposals one review run asks for (the experiment's --quick count). */
export const SELF_INSTRUCT_REVIEW_MAX = 200;

export interface LessonExperiment {
  /** The experiment running now, or null. */
  running: ExperimentName | null;
  progress: string;
  results: Partial<Record<ExperimentName, ExperimentResult>>;
  error: string | null;
  /** The experiment the error is about (each step shows only its own). */
  errorFor: ExperimentName | null;
}

export interface LessonBatch {
  /** The models that answer, in column order. */
  models: string[];
  rows: BatchRow[];
  done: number;
  total: number;
  running: boolean;
  error: string | null;
}

/** The examples the Data step shows, each in the shape a published dataset uses. */
export interface LessonExamples {
  alpaca: InstructionExample;
  dolly: InstructionExample;
  oasst: InstructionExample;
  selfInstruct: InstructionExample;
}

/** Takes from stored preferences only what is well-formed (stale or hand-edited entries are ignored). */
export function readLessonPreferences(persisted: unknown): Partial<LessonPreferences> {
  if (typeof persisted !== 'object' || persisted === null) return {};
  const p = persisted as Partial<Record<keyof LessonPreferences, unknown>>;
  const out: Partial<LessonPreferences> = {};
  if (typeof p.openView === 'string' && (APP_VIEWS as readonly string[]).includes(p.openView)) out.openView = p.openView as AppView;
  if (typeof p.lessonStepId === 'string' && p.lessonStepId.length > 0 && p.lessonStepId.length < 100) out.lessonStepId = p.lessonStepId;
  if (typeof p.presenter === 'boolean') out.presenter = p.presenter;
  return out;
}

/** The lesson preferences of a state, as `persist` stores them. */
export function lessonPreferences(s: LessonPreferences): LessonPreferences {
  return { openView: s.openView, lessonStepId: s.lessonStepId, presenter: s.presenter };
}
