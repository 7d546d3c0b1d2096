// The lessons, in the order the story is told: why a base model does not
// answer, how instruction data changes that, tuning, comparing, what comes
// after, and your own models. Adding a lesson is adding one entry here: its
// text (a few short paragraphs) and, where it has one, its live experiment.

import type { ComponentType } from 'react';
import { SelfInstructReview } from '../data/SelfInstructReview';
import { CompareAll, FlanAgainstOne, InstructionData, MeetBaseModel, MixBeforeAfter, TuneYourself } from './experiments';

export interface LessonStep {
  /** Stable id: progress is stored by it, so steps can be added or reordered. */
  id: string;
  title: string;
  /** Short plain paragraphs, read before the experiment. */
  text: readonly string[];
  /** The live experiment on the shipped models, if the step has one. */
  Experiment?: ComponentType;
}

export const LESSON_STEPS: readonly LessonStep[] = [
  {
    id: 'base-model',
    title: 'Meet the base model',
    text: [
      'A base model learned one thing: to predict the next token of text. This one read prose about the world’s countries and quiz sheets full of unanswered questions.',
      'Ask it “What is the capital of France?” and it continues the text the way its training text did: with another question. The fact is in there, but nothing taught it that a question wants an answer.',
      'The bars show each model’s probabilities for the next token, right where an answer would start. The base model ranks words that open another question, such as “what” and “How”, high. The instruction-tuned model is the same network after a short extra training on question-answer pairs: it puts “Paris” first.',
      'Type your own question too.',
    ],
    Experiment: MeetBaseModel,
  },
  {
    id: 'instruction-data',
    title: 'Instruction data',
    text: [
      'Instruction tuning trains the base model a little further on instruction-response pairs: a request someone might make, and the response we want. The more varied the tasks and the phrasings, the better the model learns the pattern “given an instruction, respond”.',
      'A template lays each pair out as text. The loss is computed on the response tokens only (green): the model learns to answer, not to write questions. The prompt tokens (grey) are context.',
      'Published collections: FLAN gathered over 1,800 tasks, each phrased through several instruction templates. Self-Instruct has a model write new instructions from a few seed tasks and drops near-duplicates. Alpaca (52,000 pairs made that way), Dolly (written by Databricks employees) and OpenAssistant (conversations written and ranked by volunteers) each publish their own record format. The studio’s Data tab reads them all.',
    ],
    Experiment: InstructionData,
  },
  {
    id: 'tune',
    title: 'Tune it yourself',
    text: [
      'Now tune the base model yourself, on the country-facts set: seven kinds of fact (capital, continent, currency, calling code and more) about half of the world’s countries, each asked in several phrasings from a pool of thirteen.',
      'The settings are gentle on purpose: on this data, held-out accuracy peaks early and falls when the model starts to memorise. Longer is not better.',
      'The run filled in here is 40 steps of 16 rows, with short examples packed several to a row. Measured on this base model, it ends answering Paris, and 42 of 50 capitals of countries it was never tuned on.',
      'The loss measures how surprised the model is by the responses; watch it fall. How long the run takes depends on your GPU (the header shows the backend). The shipped tuned model was tuned from the same base model on the same set (with LoRA adapters, 140 steps, keeping the mean of its weights over steps 50 to 140), so you can go on to the next step while it runs.',
    ],
    Experiment: TuneYourself,
  },
  {
    id: 'compare',
    title: 'Compare',
    text: [
      'The base model, the shipped tuned model and your own answer the same question, with the same template and greedy decoding: only the weights differ.',
      'Then a batch of countries that never appeared in the tuning set. The tuned models answer them anyway: the facts came from pretraining, and tuning taught the format, a question in and an answer out. The base model scores near zero, not because it lacks the facts, but because it keeps asking questions.',
    ],
    Experiment: CompareAll,
  },
  {
    id: 'many-tasks',
    title: 'Many tasks, many phrasings',
    text: [
      'FLAN’s finding: a model tuned on many tasks, each asked in many phrasings, follows instructions it was never tuned on better than one tuned on a single task. Here the tasks are the seven kinds of country fact, and the phrasings come from a pool of thirteen per fact.',
      'The experiment tunes two copies of the base model for the same number of steps: (a) on capitals only, always asked the same way; (c) on all seven relations in all thirteen phrasings. Then it asks both about countries neither saw in tuning, in eight phrasings that no tuning set contains, and about the three-letter country code (FRA for France), a relation neither was tuned on.',
      'The base model is only read: both copies are thrown away afterwards.',
    ],
    Experiment: FlanAgainstOne,
  },
  {
    id: 'self-instruct',
    title: 'The model writes its own data',
    text: [
      'Self-Instruct grows a dataset from a few seed tasks: a tuned model is shown some tasks and writes a new one, a proposal too close to one already in the pool (ROUGE-L of 0.7 or more) is dropped, and the model writes the answers. Alpaca’s 52,000 pairs were made this way by a much larger model.',
      'A model this small knows one kind of task, questions about countries, so most of what it proposes repeats the pool, and its answers are often wrong. Nothing in the filter checks truth: that is your job. Read the pairs, fix or untick them, and save the rest as a dataset you can tune on.',
    ],
    Experiment: SelfInstructReview,
  },
  {
    id: 'preference-tuning',
    title: 'After instruction tuning: preference tuning',
    text: [
      'Instruction tuning teaches format and task completion: to answer the request, in the expected shape. It does not teach which of two possible answers people prefer.',
      'Preference tuning comes afterwards. People (or a model) compare pairs of answers; RLHF trains a reward model on those preferences and optimises the model against it, and DPO learns from the preference pairs directly. Either moves the model towards answers that are helpful, honest and harmless.',
      'Assistants are made in this order: pretraining, instruction tuning, preference tuning. This studio covers the first two.',
    ],
  },
  {
    id: 'your-domain',
    title: 'Your own domain: raw text or a mix',
    text: [
      'To teach a model about your own field, you might tune it on raw text from that field. Here the field is invented: two dozen made-up countries with made-up capitals and currencies, written as short prose, so no model here knew them before.',
      'The experiment tunes two copies of the shipped tuned model for the same number of steps: one on the prose alone, one on the prose mixed half and half with instruction examples (questions about the real countries, and about a few of the new ones). Then it measures each: the new facts completed as text (“The capital of X is …”), held-out capital questions answered and how many answers turn into another question, and questions about new countries neither copy was asked about.',
      'Raw text adds knowledge but can wear away instruction following; instruction examples in the mix keep more of it. The shipped models are only read: both copies are thrown away afterwards.',
    ],
    Experiment: MixBeforeAfter,
  },
  {
    id: 'your-models',
    title: 'Your own models',
    text: [
      'Tuning teaches format, not facts: the shipped tuned model answers about 90% of capital questions about countries it was never tuned on, in phrasings it never saw, because pretraining put the facts there; the base model answers none of them.',
      'Raw text adds knowledge but can wear away instruction following. In this project’s mix experiment on the shipped tuned model (full tuning at lr 2e-4), 150 steps on prose about invented countries taught the new facts as text (0% → 85% completed) and cut held-out capital questions answered from 89% to 13%. With instruction examples in half the batches, the same steps kept 81%, learned 29% of the new facts and answered 11% of the questions about the new countries. Twice the steps, with a fifth of the batches replaying the facts the model already knew as prose, kept nearly every held-out answer (87% → 86%) and learned 67% of the new facts, yet answered only 28% of the questions about them. Keep instruction-formatted examples in the mix, replay some of what the model knew, and expect a model this small to know new facts as text before it can answer questions about them: docs/EXPERIMENTS.md has every figure and what limits it.',
      'The Data tab imports and edits datasets and shows each example’s tokens and loss mask; the Studio tab tunes; Compare scores held-out questions; Checkpoints saves and exports models that Hugging Face tools read as GPT-2.',
    ],
  },
];

/** The step with `id`, or the first (an unknown id comes from an older step list). */
export function stepIndex(id: string): number {
  const i = LESSON_STEPS.findIndex((s) => s.id === id);
  return i < 0 ? 0 : i;
}
