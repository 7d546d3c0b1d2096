// Dataset statistics: counts, categories, lengths and a length histogram,
// computed in the dataset worker (token counts with the model's tokenizer
// and the selected template when there is a model).

import { useEffect } from 'react';
import type { HistogramBucket } from '../../data';
import { currentTemplate, useStudio } from '../../store';
import { formatCount } from '../format';

export function DatasetStats() {
  const active = useStudio((s) => s.activeDataset);
  const stats = useStudio((s) => s.stats);
  const template = useStudio((s) => currentTemplate(s));
  const tokenJson = useStudio((s) => (s.dataTokenizer && s.dataTokenizer.modelVersion === s.modelVersion ? s.dataTokenizer.json : null));
  const refreshStats = useStudio((s) => s.refreshStats);
  const examples = active?.examples;

  // Recompute shortly after the examples, template or tokenizer change (typing edits come in bursts).
  useEffect(() => {
    if (!examples) return;
    const timer = setTimeout(() => void refreshStats(), 300);
    return () => clearTimeout(timer);
  }, [examples, template, tokenJson, refreshStats]);

  if (!active) return null;
  const s = stats?.stats;
  const fresh = stats !== null && stats.examples === active.examples;
  const histogram: HistogramBucket[] | undefined = s?.tokenHistogram ?? s?.responseWordHistogram;
  return (
    <section className="dataset-stats" data-testid="dataset-stats" data-fresh={fresh ? 'true' : 'false'} aria-label="Dataset statistics">
      <h4>Statistics {!fresh && <span className="muted">(updating…)</span>}</h4>
      {s ? (
        <>
          <dl className="stats">
            <div>
              <dt>Examples</dt>
              <dd data-testid="stats-examples">{formatCount(s.examples)}</dd>
            </div>
            <div>
              <dt>Conversations</dt>
              <dd>{formatCount(s.conversations)}</dd>
            </div>
            <div>
              <dt>With input</dt>
              <dd>{formatCount(s.withInput)}</dd>
            </div>
            <div>
              <dt>Categories</dt>
              <dd>{formatCount(s.categories.length)}</dd>
            </div>
            {s.tokens ? (
              <>
                <div>
                  <dt>Tokens</dt>
                  <dd data-testid="stats-tokens">{formatCount(s.tokens.total)}</dd>
                </div>
                <div>
                  <dt>Tokens / example</dt>
                  <dd>
                    {formatCount(s.tokens.median)} median, {formatCount(s.tokens.max)} max
                  </dd>
                </div>
              </>
            ) : (
              <div>
                <dt>Tokens</dt>
                <dd data-testid="stats-tokens" title="Create a model to count tokens">
                  —
                </dd>
              </div>
            )}
            <div>
              <dt>Response words</dt>
              <dd>
                {formatCount(s.responseWords.median)} median, {formatCount(s.responseWords.max)} max
              </dd>
            </div>
          </dl>
          {histogram && (
            <figure className="histogram" data-testid="stats-histogram">
              <figcaption className="muted">{s.tokenHistogram ? `Tokens per training sequence (${template.name} template)` : 'Words per response'}</figcaption>
              <Histogram buckets={histogram} />
            </figure>
          )}
        </>
      ) : (
        <p className="muted">Counting…</p>
      )}
    </section>
  );
}

function Histogram({ buckets }: { buckets: readonly HistogramBucket[] }) {
  let first = buckets.findIndex((b) => b.count > 0);
  let last = buckets.length - 1;
  while (last > 0 && buckets[last]!.count === 0) last--;
  if (first < 0) first = 0;
  const shown = buckets.slice(first, last + 1);
  const max = Math.max(1, ...shown.map((b) => b.count));
  return (
    <div className="histogram-bars" role="table" aria-label="Length histogram">
      {shown.map((b) => (
        <div className="histogram-row" role="row" key={b.label}>
          <span className="histogram-label" role="rowheader">
            {b.label}
          </span>
          <span className="histogram-bar-track" role="cell">
            <span className="histogram-bar" style={{ width: `${(b.count / max) * 100}%` }} />
          </span>
          <span className="histogram-count" role="cell">
            {formatCount(b.count)}
          </span>
        </div>
      ))}
    </div>
  );
}
