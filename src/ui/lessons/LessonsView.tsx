// The Lessons view: one lesson step at a time (its text, then its live
// experiment), Back and Next, the list of steps, and the presenter-mode
// toggle. Arrow keys and PageUp/PageDown turn the steps, except while typing.

import { useEffect } from 'react';
import { useStudio } from '../../store';
import { LESSON_STEPS, stepIndex } from './steps';
import './lessons.css';

/** Keys that turn the steps: a clicker sends PageDown/PageUp, a keyboard the arrows. */
const NEXT_KEYS = new Set(['ArrowRight', 'PageDown']);
const BACK_KEYS = new Set(['ArrowLeft', 'PageUp']);

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function LessonsView() {
  const stepId = useStudio((s) => s.lessonStepId);
  const setStep = useStudio((s) => s.setLessonStep);
  const presenter = useStudio((s) => s.presenter);
  const setPresenter = useStudio((s) => s.setPresenter);
  const loadShipped = useStudio((s) => s.loadShippedModels);
  const index = stepIndex(stepId);
  const step = LESSON_STEPS[index]!;
  const go = (i: number) => {
    const next = LESSON_STEPS[Math.max(0, Math.min(LESSON_STEPS.length - 1, i))]!;
    setStep(next.id);
    window.scrollTo(0, 0);
  };

  useEffect(() => {
    void loadShipped();
  }, [loadShipped]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || typingIn(e.target)) return;
      const i = stepIndex(useStudio.getState().lessonStepId);
      if (NEXT_KEYS.has(e.key)) go(i + 1);
      else if (BACK_KEYS.has(e.key)) go(i - 1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const { Experiment } = step;
  return (
    <main className="lessons-view" data-testid="lessons-view">
      {!presenter && (
        <nav className="lesson-list" aria-label="Lesson steps">
          <ol>
            {LESSON_STEPS.map((s, i) => (
              <li key={s.id}>
                <button type="button" data-testid="lesson-list-item" aria-current={i === index ? 'step' : undefined} onClick={() => go(i)}>
                  {s.title}
                </button>
              </li>
            ))}
          </ol>
        </nav>
      )}
      <article className="lesson-step panel" data-testid="lesson-step" data-step={step.id}>
        <header className="lesson-step-head">
          <p className="lesson-progress muted" data-testid="lesson-progress">
            Lesson {index + 1} of {LESSON_STEPS.length}
          </p>
          <label className="presenter-toggle">
            <input type="checkbox" data-testid="presenter-toggle" checked={presenter} onChange={(e) => setPresenter(e.target.checked)} />
            Presenter mode
          </label>
        </header>
        <h2 data-testid="lesson-title">{step.title}</h2>
        <div className="lesson-text" data-testid="lesson-text">
          {step.text.map((p, i) => (
            <p key={i}>{p}</p>
          ))}
        </div>
        {Experiment && (
          <div className="lesson-experiment">
            <Experiment />
          </div>
        )}
        <footer className="lesson-nav">
          <button type="button" data-testid="lesson-back" disabled={index === 0} onClick={() => go(index - 1)}>
            ← Back
          </button>
          <button type="button" className="primary" data-testid="lesson-next" disabled={index === LESSON_STEPS.length - 1} onClick={() => go(index + 1)}>
            Next →
          </button>
        </footer>
      </article>
    </main>
  );
}
