// The examples of the selected dataset as a paged table: search, filter by
// category, token counts for the rows shown, add/edit/delete, undo. Paging
// keeps a 50,000-example dataset as light as a small one: only one page of
// rows is ever in the document, and only those rows are tokenized (long
// examples in the dataset worker, see useTokenCounts).

import { useDeferredValue, useEffect, useMemo, useState } from 'react';
import { requestOf, responseOf, type Example } from '../../data';
import { currentTemplate, useStudio, useStudioValues } from '../../store';
import { formatCount, textPreview } from '../format';
import { ExampleEditor } from './ExampleEditor';
import { useTokenCounts } from './tokens';

export const PAGE_SIZE = 50;
const NO_CATEGORY = '\u0000none';

interface Props {
  /** The example whose tokens are shown, by id. */
  selectedId: string | null;
  onSelect: (id: string | null) => void;
}

export function ExampleTable({ selectedId, onSelect }: Props) {
  const active = useStudio((s) => s.activeDataset);
  const tokenizer = useStudio((s) => (s.dataTokenizer && s.dataTokenizer.modelVersion === s.modelVersion ? s.dataTokenizer.tokenizer : null));
  const template = useStudio((s) => currentTemplate(s));
  const { undoStack, saveState, undo, retrySave, deleteExample } = useStudioValues('undoStack', 'saveState', 'undo', 'retrySave', 'deleteExample');
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const [page, setPage] = useState(0);
  const [editing, setEditing] = useState<string | 'new' | null>(null);
  const deferredSearch = useDeferredValue(search);
  const examples = active?.examples ?? [];

  const categories = useMemo(() => {
    const counts = new Map<string, number>();
    for (const e of examples) {
      const c = e.category ?? NO_CATEGORY;
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => a[0].localeCompare(b[0]));
  }, [examples]);

  // Indices into the dataset of the rows that match, in dataset order.
  const matches = useMemo(() => {
    const q = deferredSearch.trim().toLowerCase();
    const out: number[] = [];
    examples.forEach((e, k) => {
      if (category && (e.category ?? NO_CATEGORY) !== category) return;
      if (q && !`${requestOf(e)}\n${responseOf(e)}\n${e.system ?? ''}`.toLowerCase().includes(q)) return;
      out.push(k);
    });
    return out;
  }, [examples, deferredSearch, category]);

  const pages = Math.max(1, Math.ceil(matches.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  useEffect(() => setPage(0), [deferredSearch, category, active?.id]);
  const rows = matches.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  const rowExamples = useMemo(() => rows.map((k) => examples[k] as Example), [matches, current, examples]);
  const countOf = useTokenCounts(rowExamples, tokenizer, template);
  const lastUndo = undoStack[undoStack.length - 1];
  const editingExample = editing && editing !== 'new' ? examples.find((e) => e.id === editing) ?? null : null;

  if (!active) return null;

  return (
    <section className="example-section" aria-label="Examples">
      <div className="example-toolbar">
        <div className="field">
          <label htmlFor="example-search">Search</label>
          <input id="example-search" type="search" data-testid="example-search" placeholder="Words in the instruction or response" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="example-category">Category</label>
          <select id="example-category" data-testid="example-category" value={category} onChange={(e) => setCategory(e.target.value)}>
            <option value="">All ({formatCount(examples.length)})</option>
            {categories.map(([c, n]) => (
              <option key={c} value={c}>
                {c === NO_CATEGORY ? '(no category)' : c} ({formatCount(n)})
              </option>
            ))}
          </select>
        </div>
        <div className="actions">
          <button type="button" className="primary" data-testid="example-add" onClick={() => setEditing('new')}>
            Add example
          </button>
          <button type="button" data-testid="example-undo" disabled={!lastUndo} onClick={undo} title={lastUndo ? `Undo the last ${lastUndo.label}` : 'Nothing to undo'}>
            {lastUndo ? `Undo ${lastUndo.label}` : 'Undo'}
          </button>
          <span className={`save-state save-${saveState}`} data-testid="dataset-save-state" data-state={saveState} aria-live="polite">
            {saveState === 'saved' ? 'Saved' : saveState === 'saving' ? 'Saving…' : 'Not saved'}
          </span>
          {saveState === 'failed' && (
            <button type="button" data-testid="dataset-retry-save" onClick={retrySave}>
              Try saving again
            </button>
          )}
        </div>
      </div>

      {editing === 'new' && (
        <ExampleEditor
          example={null}
          onDone={(id) => {
            setEditing(null);
            if (id) onSelect(id);
          }}
        />
      )}

      <p className="muted example-count" data-testid="example-count">
        {matches.length === examples.length ? `${formatCount(examples.length)} examples` : `${formatCount(matches.length)} of ${formatCount(examples.length)} examples match`}
        {!countOf && examples.length > 0 ? ' · create a model to see token counts' : ''}
      </p>
      <div className="table-scroll">
        <table className="data-table example-table" data-testid="example-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Instruction</th>
              <th scope="col">Response</th>
              <th scope="col">Category</th>
              <th scope="col" title="Tokens in the training sequence, with the selected template">
                Tokens
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((k) => {
              const e = examples[k] as Example;
              if (editing === e.id && editingExample) {
                return (
                  <tr key={e.id} className="example-row-editing">
                    <td colSpan={6}>
                      <ExampleEditor
                        example={editingExample}
                        onDone={() => {
                          setEditing(null);
                          onSelect(e.id);
                        }}
                      />
                    </td>
                  </tr>
                );
              }
              return (
                <ExampleRow
                  key={e.id}
                  index={k}
                  example={e}
                  tokens={countOf ? countOf(e) ?? 'counting' : null}
                  selected={e.id === selectedId}
                  onSelect={() => onSelect(e.id === selectedId ? null : e.id)}
                  onEdit={() => setEditing(e.id)}
                  onDelete={() => {
                    deleteExample(e.id);
                    if (e.id === selectedId) onSelect(null);
                  }}
                />
              );
            })}
          </tbody>
        </table>
      </div>
      {matches.length === 0 && <p className="muted">{examples.length === 0 ? 'This dataset is empty: add an example or import a file into it.' : 'No example matches.'}</p>}
      {pages > 1 && (
        <div className="pager" role="navigation" aria-label="Pages of examples">
          <button type="button" data-testid="example-page-prev" disabled={current === 0} onClick={() => setPage(current - 1)}>
            Previous
          </button>
          <span data-testid="example-page-info">
            Page {current + 1} of {formatCount(pages)}
          </span>
          <button type="button" data-testid="example-page-next" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Next
          </button>
        </div>
      )}
    </section>
  );
}

function ExampleRow(props: {
  index: number;
  example: Example;
  /** The count; 'counting' while the dataset worker counts a long example; null without a model. */
  tokens: number | 'counting' | null;
  selected: boolean;
  onSelect: () => void;
  onEdit: () => void;
  onDelete: () => void;
}) {
  const { index, example: e, tokens, selected } = props;
  return (
    <tr className={selected ? 'example-row example-row-selected' : 'example-row'} data-testid="example-row" data-id={e.id} aria-selected={selected}>
      <td className="num">{index + 1}</td>
      <td>
        <button type="button" className="cell-button" data-testid="example-open" onClick={props.onSelect} title="Show its tokens">
          <span className="cell-text" data-testid="example-instruction">
            {textPreview(requestOf(e))}
          </span>
        </button>
        {e.kind === 'conversation' && <span className="muted"> · {e.messages.length} turns</span>}
      </td>
      <td>
        <span className="cell-text" data-testid="example-response">
          {textPreview(responseOf(e))}
        </span>
      </td>
      <td className="muted">{e.category ?? ''}</td>
      <td className="num" data-testid="example-tokens" title={tokens === 'counting' ? 'Counting the tokens of this long example…' : undefined}>
        {tokens === 'counting' ? '…' : tokens ?? '—'}
      </td>
      <td className="row-actions">
        <button type="button" data-testid="example-edit" onClick={props.onEdit}>
          Edit
        </button>
        <button type="button" data-testid="example-delete" onClick={props.onDelete} aria-label={`Delete example ${index + 1}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}
