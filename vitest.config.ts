import { availableParallelism } from 'node:os';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The slowest test files, slowest first, from per-file durations of a whole
 * run (docs/RELIABILITY.md, "CI time"). They start first, so no long file is
 * left to run alone at the end while the other worker idles.
 */
const SLOW_FILES = [
  'src/worker/killAutosave.test.ts',
  'src/worker/engine.test.ts',
  'src/data/cli.test.ts',
  'src/worker/engine.checkpoints.test.ts',
  'src/model/gpt.test.ts',
  'src/checkpoint/hfImport.test.ts',
  'src/eval/shipped.test.ts',
  'src/data/dedupe.test.ts',
];

/** Vitest's own order (failed and slow first when it has a cache, else larger files first), with SLOW_FILES ahead of it. */
class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const k = SLOW_FILES.indexOf(relative(f.project.config.root, f.moduleId).split('\\').join('/'));
      return k < 0 ? SLOW_FILES.length : k;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

// Unit tests only: Playwright's e2e/*.spec.ts must never be picked up here.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one fork fewer than the cores: on a 2-core machine (CI's) one
    // file at a time. The tests are CPU-bound, so two forks on two cores halve the time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: SlowFilesFirst },
  },
});
