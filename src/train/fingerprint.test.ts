import { describe, expect, it } from 'vitest';
import { PLAIN_TEMPLATE } from '../data/templates';
import { dataFingerprint } from './fingerprint';

describe('dataFingerprint', () => {
  it('fingerprints data by content and encoding switches', () => {
    const a = dataFingerprint({ kind: 'text', text: 'abc' });
    expect(dataFingerprint({ kind: 'text', text: 'abc' })).toBe(a);
    expect(dataFingerprint({ kind: 'text', text: 'abd' })).not.toBe(a);
    const ex = [{ id: '1', source: 't', kind: 'instruction' as const, instruction: 'q', response: 'r' }];
    const d = { kind: 'instructions' as const, examples: ex, template: PLAIN_TEMPLATE, trainOnInputs: false, pack: false, overflow: 'truncate' as const };
    expect(dataFingerprint(d)).not.toBe(dataFingerprint({ ...d, trainOnInputs: true }));
    // Where the examples came from does not change what is learned.
    expect(dataFingerprint({ ...d, datasetId: 'x' })).toBe(dataFingerprint(d));
  });
});
