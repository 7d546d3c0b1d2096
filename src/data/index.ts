// The data layer's public API: everything the worker, the UI, the eval code
// and the scripts need from src/data. Plain TypeScript, no tfjs, no DOM.

export * from './schema';
export * from './errors';
export { Random } from '../util/random';
export { findJsonSyntaxError, readJsonArray, readJsonLines, stripBom, type JsonSyntaxProblem } from './json';
export { parseDelimited, parseDelimitedRows, guessDelimiter, formatDelimitedField, type Delimiter, type DelimitedTable } from './csv';
export { FORMAT_IDS, type FormatId, type ColumnMapping } from './formats/types';
export { guessColumnMapping, previewTable, type MappingGuess, type TablePreview } from './formats/tabular';
export { decodeDatasetBytes, firstInvalidUtf8, type DecodeResult, type TextEncodingName } from './encoding';
export { detectFormat, detectContainer, type FormatDetection, type Container } from './detect';
export {
  importDataset,
  checkFileSize,
  utf8Length,
  DEFAULT_MAX_BYTES,
  FORMAT_LABELS,
  type ImportOptions,
  type ImportResult,
  type ImportProgress,
} from './import';
export { exportAlpacaJson, exportMessagesJsonl, exportDataset, type ExportFormat, type ExportResult } from './export';
export * from './rouge';
export * from './dedupe';
export * from './templates';
export * from './render';
export * from './sequences';
export * from './batching';
export * from './split';
export * from './expand';
export * from './stats';
