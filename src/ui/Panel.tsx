// A numbered step of the studio: title, one line on what it does, and a tick once done.

import type { ReactNode } from 'react';

interface Props {
  id: string;
  step: number;
  title: string;
  explain: string;
  done?: boolean;
  className?: string;
  children: ReactNode;
}

export function Panel({ id, step, title, explain, done = false, className = '', children }: Props) {
  return (
    <section className={`panel ${className}`} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="panel-title">
        <span className={`step-num${done ? ' step-done' : ''}`} aria-hidden="true">
          {done ? '✓' : step}
        </span>
        {title}
        {done && <span className="visually-hidden"> (done)</span>}
      </h2>
      <p className="panel-explain">{explain}</p>
      {children}
    </section>
  );
}
