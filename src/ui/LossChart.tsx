// The live loss curve: one uPlot chart created on mount, fed with setData as
// the history grows, and resized with its container.

import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useStudio } from '../store';
import { alignLoss } from './format';

const HEIGHT = 240;

function options(width: number): uPlot.Options {
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false } },
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    axes: [
      { label: 'step', stroke: '#5b6472', grid: { stroke: '#e7eaf0' }, ticks: { stroke: '#e7eaf0' } },
      { label: 'loss', stroke: '#5b6472', grid: { stroke: '#e7eaf0' }, ticks: { stroke: '#e7eaf0' }, size: 56 },
    ],
    series: [
      { label: 'step' },
      { label: 'train loss', stroke: '#2563eb', width: 2, points: { show: false }, value: (_u, v) => (v == null ? '—' : v.toFixed(4)) },
      {
        label: 'validation loss',
        stroke: '#ea580c',
        width: 2,
        dash: [6, 4],
        spanGaps: true,
        points: { show: true, size: 6, fill: '#ea580c' },
        value: (_u, v) => (v == null ? '—' : v.toFixed(4)),
      },
    ],
  };
}

export function LossChart() {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const lossHistory = useStudio((s) => s.lossHistory);
  const valHistory = useStudio((s) => s.valHistory);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const s = useStudio.getState();
    const u = new uPlot(options(Math.max(200, el.clientWidth)), alignLoss(s.lossHistory, s.valHistory), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const width = Math.max(200, Math.floor(el.clientWidth));
      if (width !== u.width) u.setSize({ width, height: HEIGHT });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(alignLoss(lossHistory, valHistory));
  }, [lossHistory, valHistory]);

  const empty = lossHistory.length === 0 && valHistory.length === 0;
  return (
    <figure className={`chart${empty ? ' chart-empty' : ''}`}>
      {empty && (
        <div className="chart-placeholder" aria-hidden="true">
          No steps yet
        </div>
      )}
      <div
        ref={box}
        className="chart-box"
        data-testid="loss-chart"
        role="img"
        aria-label={empty ? 'Loss chart, empty until training starts' : `Loss chart: ${lossHistory.length} training steps, latest loss ${lossHistory[lossHistory.length - 1]?.loss.toFixed(4) ?? 'unknown'}`}
      />
      <figcaption className="muted">
        {empty ? 'The loss curve appears here once training starts. Lower is better.' : 'Training loss per step (solid) and validation loss on held-out text (dashed). Lower is better.'}
      </figcaption>
    </figure>
  );
}
