import { describe, expect, it } from 'vitest';
import { importDataset } from './import';
import { importErr, importOk, readFixture } from './test-helpers';
import type { ConversationExample, InstructionExample } from './schema';

function instr(e: unknown): InstructionExample {
  expect((e as InstructionExample).kind).toBe('instruction');
  return e as InstructionExample;
}
function conv(e: unknown): ConversationExample {
  expect((e as ConversationExample).kind).toBe('conversation');
  return e as ConversationExample;
}

describe('Alpaca', () => {
  it('reads a JSON array: instruction, input (empty input left out), output', () => {
    const r = importOk(readFixture('alpaca.json'), { fileName: 'alpaca.json' });
    expect(r.format).toBe('alpaca');
    expect(r.examples).toHaveLength(4);
    const first = instr(r.examples[0]);
    expect(first.instruction).toBe('Give three tips for keeping a houseplant alive.');
    expect(first.input).toBeUndefined();
    expect(first.response.split('\n')).toHaveLength(3);
    const second = instr(r.examples[1]);
    expect(second.input).toBe('The library opens at nine.');
    expect(second.response).toBe('La bibliothèque ouvre à neuf heures.');
    expect(second.source).toBe('alpaca:alpaca.json');
  });

  it('reads JSONL', () => {
    const r = importOk(readFixture('alpaca.jsonl'), { fileName: 'alpaca.jsonl' });
    expect(r.format).toBe('alpaca');
    expect(r.examples.map((e) => instr(e).instruction)).toEqual([
      'Convert 5 kilometres to miles.',
      'Rewrite the sentence in the passive voice.',
      'Name the largest planet in the solar system.',
    ]);
  });

  it('gives content-hash ids that are the same on every import and differ between records', () => {
    const a = importOk(readFixture('alpaca.json'), { fileName: 'alpaca.json' }).examples.map((e) => e.id);
    const b = importOk(readFixture('alpaca.json'), { fileName: 'renamed.json' }).examples.map((e) => e.id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(a.length);
    expect(a[0]).toMatch(/^h[0-9a-f]{16}$/);
  });

  it('keeps an id, category and system prompt given in the record', () => {
    const text = JSON.stringify([{ id: 'q-1', instruction: 'Hi', input: '', output: 'Hello', category: 'greeting', system: 'Be brief.' }]);
    const e = instr(importOk(text, { fileName: 'x.json' }).examples[0]);
    expect(e).toMatchObject({ id: 'q-1', category: 'greeting', system: 'Be brief.' });
  });

  it('names the record, line and field when "output" is missing', () => {
    const records = Array.from({ length: 45 }, (_, k) => ({ instruction: `Task ${k + 1}`, input: '', output: `Answer ${k + 1}` }));
    delete (records[41] as { output?: string }).output;
    const text = JSON.stringify(records, null, 2);
    const err = importErr(text, { fileName: 'big.json' });
    expect(err.record).toBe(42);
    expect(err.field).toBe('output');
    expect(err.file).toBe('big.json');
    // record 42 starts on the line of its "{" in the pretty-printed file
    const lines = text.split('\n');
    expect(lines[(err.line as number) - 1]?.trim()).toBe('{');
    expect(lines[err.line as number]).toContain('Task 42');
    expect(err.message).toContain('"big.json", record 42');
    expect(err.message).toContain('"output" field is missing');
  });

  it('rejects an empty instruction, naming the record', () => {
    const text = [
      '{"instruction": "A", "input": "", "output": "a"}',
      '{"instruction": "B", "input": "", "output": "b"}',
      '{"instruction": "   ", "input": "", "output": "c"}',
    ].join('\n');
    const err = importErr(text, { fileName: 'e.jsonl' });
    expect(err).toMatchObject({ record: 3, line: 3, field: 'instruction' });
    expect(err.message).toMatch(/"instruction" is empty/);
  });

  it('rejects a number where text is expected, saying what it found', () => {
    const err = importErr('[{"instruction": "Add", "input": "", "output": 42}]', { fileName: 'n.json' });
    expect(err.field).toBe('output');
    expect(err.message).toContain('must be text, but it is a number (42)');
  });
});

describe('Dolly', () => {
  it('maps context to input and keeps the category', () => {
    const r = importOk(readFixture('dolly.jsonl'), { fileName: 'dolly.jsonl' });
    expect(r.format).toBe('dolly');
    expect(r.examples.map((e) => e.category)).toEqual(['open_qa', 'closed_qa', 'summarization', 'brainstorming']);
    expect(instr(r.examples[0]).input).toBeUndefined();
    expect(instr(r.examples[1]).input).toMatch(/^The violin is a bowed string instrument/);
    expect(instr(r.examples[1]).response).toBe('A standard violin has four strings.');
  });

  it('needs a response', () => {
    const err = importErr('{"instruction": "Q", "context": "", "category": "open_qa"}\n', { fileName: 'd.jsonl', format: 'dolly' });
    expect(err).toMatchObject({ record: 1, field: 'response' });
  });
});

describe('Self-Instruct seed tasks', () => {
  it('makes one example per instance with the task id and instance number, category = task name', () => {
    const r = importOk(readFixture('seed_tasks.jsonl'), { fileName: 'seed_tasks.jsonl' });
    expect(r.format).toBe('self-instruct');
    expect(r.examples.map((e) => e.id)).toEqual(['seed_task_0#1', 'seed_task_1#1', 'seed_task_1#2', 'seed_task_2#1']);
    const second = instr(r.examples[2]);
    expect(second.instruction).toBe('Is the review positive or negative?');
    expect(second.input).toBe('Lovely staff and the best bread I have had in years.');
    expect(second.response).toBe('Positive');
    expect(second.category).toBe('sentiment_label');
    expect(instr(r.examples[3]).input).toBeUndefined();
  });

  it('names the instance and field that is wrong', () => {
    const line = JSON.stringify({ id: 't', name: 'n', instruction: 'Do it', instances: [{ input: '', output: 'ok' }, { input: 'x' }], is_classification: false });
    const err = importErr(`${line}\n`, { fileName: 's.jsonl' });
    expect(err.field).toBe('instances[1].output');
    expect(err.message).toContain('"instances[1].output" field is missing');
  });

  it('rejects a task without instances', () => {
    const err = importErr('{"id": "t", "instruction": "Do", "instances": [], "is_classification": false}', { fileName: 's.jsonl' });
    expect(err.field).toBe('instances');
    expect(err.message).toContain('empty list');
  });
});

describe('OpenAssistant', () => {
  it('follows the best-ranked reply from each root (lower rank wins, missing rank last), whatever the file order', () => {
    const r = importOk(readFixture('oasst_flat.jsonl'), { fileName: 'oasst.jsonl' });
    expect(r.format).toBe('oasst');
    expect(r.examples).toHaveLength(2);
    const c = conv(r.examples[0]);
    expect(c.id).toBe('p1');
    expect(c.lang).toBe('en');
    expect(c.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(c.messages[1]?.content).toMatch(/^Bread rises because yeast/); // rank 0 beats rank 1
    expect(c.messages[3]?.content).toMatch(/^Yes\. Lukewarm/); // rank 0 beats a missing rank
  });

  it('turns a one-exchange tree into an instruction example, skipping deleted replies, and warns about what it left out', () => {
    const r = importOk(readFixture('oasst_flat.jsonl'), { fileName: 'oasst.jsonl' });
    const e = instr(r.examples[1]);
    expect(e).toMatchObject({ id: 'p5', lang: 'es', instruction: '¿Cuál es la capital de Portugal?', response: 'La capital de Portugal es Lisboa.' });
    expect(r.warnings.join(' ')).toContain('1 message tree has no assistant reply');
    expect(r.warnings.join(' ')).toContain('1 message is marked deleted');
  });

  it('reads nested message trees the same way', () => {
    const r = importOk(readFixture('oasst_trees.jsonl'), { fileName: 'trees.jsonl' });
    const c = conv(r.examples[0]);
    expect(c.messages.map((m) => m.content)).toEqual([
      'What does a barometer measure?',
      'A barometer measures air pressure.',
      'What is it used for?',
      'Falling pressure often means bad weather is coming, so it helps with forecasts.',
    ]);
  });

  it('breaks rank ties by file order', () => {
    const lines = [
      { message_id: 'r', parent_id: null, role: 'prompter', text: 'Q', rank: null },
      { message_id: 'x', parent_id: 'r', role: 'assistant', text: 'first', rank: 2 },
      { message_id: 'y', parent_id: 'r', role: 'assistant', text: 'second', rank: 2 },
    ].map((o) => JSON.stringify(o));
    const e = instr(importOk(lines.join('\n'), { fileName: 'o.jsonl' }).examples[0]);
    expect(e.response).toBe('first');
  });

  it('rejects an unsupported role, naming the record and field', () => {
    const lines = [
      '{"message_id": "r", "parent_id": null, "role": "prompter", "text": "Q"}',
      '{"message_id": "a", "parent_id": "r", "role": "bot", "text": "A"}',
    ];
    const err = importErr(lines.join('\n'), { fileName: 'o.jsonl', format: 'oasst' });
    expect(err).toMatchObject({ record: 2, line: 2, field: 'role' });
    expect(err.message).toContain('"role" is "bot", which is not supported');
  });

  it('rejects a reply whose parent is not in the file', () => {
    const lines = [
      '{"message_id": "r", "parent_id": null, "role": "prompter", "text": "Q"}',
      '{"message_id": "a", "parent_id": "zzz", "role": "assistant", "text": "A"}',
    ];
    const err = importErr(lines.join('\n'), { fileName: 'o.jsonl' });
    expect(err).toMatchObject({ record: 2, field: 'parent_id' });
    expect(err.message).toContain('"zzz", which is not in the file');
  });

  it('rejects a loop of parent ids and duplicate message ids', () => {
    const loop = [
      '{"message_id": "r", "parent_id": null, "role": "prompter", "text": "Q"}',
      '{"message_id": "a", "parent_id": "r", "role": "assistant", "text": "A"}',
      '{"message_id": "b", "parent_id": "c", "role": "assistant", "text": "B"}',
      '{"message_id": "c", "parent_id": "b", "role": "prompter", "text": "C"}',
    ];
    expect(importErr(loop.join('\n'), { fileName: 'o.jsonl' }).message).toContain('loop');
    const dup = [loop[0], loop[1], loop[1]];
    expect(importErr(dup.join('\n'), { fileName: 'o.jsonl' })).toMatchObject({ record: 3, field: 'message_id' });
  });
});

describe('messages JSONL', () => {
  it('reads a multi-turn conversation with its system prompt, and one exchange as an instruction example', () => {
    const r = importOk(readFixture('messages.jsonl'), { fileName: 'chat.jsonl' });
    expect(r.format).toBe('messages');
    const c = conv(r.examples[0]);
    expect(c.system).toBe('You are a patient maths tutor.');
    expect(c.messages).toHaveLength(4);
    expect(instr(r.examples[1])).toMatchObject({ instruction: 'Suggest a name for a grey kitten.', response: 'How about Pebble?' });
    expect(r.examples[2]).toMatchObject({ id: 'chat-7', category: 'advice' });
  });

  it('rejects role "bot" in record 5, naming the message', () => {
    const ok = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}';
    const bad = '{"messages": [{"role": "user", "content": "Hi"}, {"role": "bot", "content": "Hello"}]}';
    const err = importErr([ok, ok, ok, ok, bad].join('\n'), { fileName: 'chat.jsonl' });
    expect(err).toMatchObject({ record: 5, line: 5, field: 'messages[1].role' });
    expect(err.message).toBe(
      '"chat.jsonl", record 5 (line 5): messages[1].role is "bot", which is not supported. Use "system", "user" or "assistant".',
    );
  });

  it('rejects turns that do not alternate, a late system message, and a conversation with no answer', () => {
    const twoUsers = '{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}, {"role": "assistant", "content": "c"}]}';
    expect(importErr(twoUsers, { fileName: 'c.jsonl' }).message).toContain('second "user" turn in a row');
    const lateSystem = '{"messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "b"}, {"role": "assistant", "content": "c"}]}';
    expect(importErr(lateSystem, { fileName: 'c.jsonl' }).field).toBe('messages[1].role');
    const noAnswer = '{"messages": [{"role": "user", "content": "a"}]}';
    expect(importErr(noAnswer, { fileName: 'c.jsonl' }).message).toContain('no assistant turn');
    const assistantFirst = '{"messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "b"}]}';
    expect(importErr(assistantFirst, { fileName: 'c.jsonl' }).message).toContain('must start with a user turn');
  });

  it('keeps a final unanswered user turn but warns', () => {
    const line = '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]}';
    const r = importOk(line, { fileName: 'c.jsonl' });
    expect(conv(r.examples[0]).messages).toHaveLength(3);
    expect(r.warnings[0]).toContain('ends with a user turn');
  });

  it('rejects content that is not text', () => {
    const line = '{"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]}, {"role": "assistant", "content": "b"}]}';
    const err = importErr(line, { fileName: 'c.jsonl' });
    expect(err.field).toBe('messages[0].content');
    expect(err.message).toContain('must be text, but it is a list');
  });
});

describe('ShareGPT', () => {
  it('maps human/gpt/system to user/assistant/system prompt', () => {
    const r = importOk(readFixture('sharegpt.json'), { fileName: 'sharegpt.json' });
    expect(r.format).toBe('sharegpt');
    const c = conv(r.examples[0]);
    expect(c.id).toBe('sg-1');
    expect(c.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(instr(r.examples[1])).toMatchObject({ id: 'sg-2', system: 'Answer in one short sentence.', response: 'A ripe lemon is yellow.' });
  });

  it('rejects an unknown speaker', () => {
    const text = JSON.stringify([{ conversations: [{ from: 'human', value: 'a' }, { from: 'bing', value: 'b' }] }]);
    const err = importErr(text, { fileName: 's.json' });
    expect(err).toMatchObject({ record: 1, field: 'conversations[1].from' });
    expect(err.message).toContain('"bing", which is not supported');
  });

  it('names ShareGPT\'s own fields when a conversation breaks the turn rules', () => {
    const twoHumans = JSON.stringify([{ conversations: [{ from: 'human', value: 'a' }, { from: 'human', value: 'b' }] }]);
    expect(importErr(twoHumans, { fileName: 's.json' }).field).toBe('conversations[1].from');
    const emptyAnswer = JSON.stringify([{ conversations: [{ from: 'human', value: 'a' }, { from: 'gpt', value: ' ' }] }]);
    expect(importErr(emptyAnswer, { fileName: 's.json' }).field).toBe('conversations[1].value');
  });
});

describe('CSV and TSV', () => {
  it('reads quoted fields, doubled quotes, embedded CRLF line breaks, a BOM and unicode, guessing the columns', () => {
    const r = importOk(readFixture('qa.csv'), { fileName: 'qa.csv' });
    expect(r.format).toBe('csv');
    expect(r.examples).toHaveLength(3);
    const e = instr(r.examples[1]);
    expect(e.instruction).toBe('Summarise the note, briefly.');
    expect(e.input).toBe('Meeting moved to Thursday.\nBring the "draft" slides.');
    expect(e.category).toBe('summarization');
    expect(instr(r.examples[2]).response).toBe('こんにちは (konnichiwa)');
    expect(instr(r.examples[0]).instruction.charCodeAt(0)).not.toBe(0xfeff);
    expect(r.warnings[0]).toContain('instruction = "question"');
  });

  it('uses an explicit column mapping', () => {
    const text = 'a,b,c\nwhat?,ignored,this\n';
    const r = importOk(text, { fileName: 't.csv', columnMapping: { instruction: 'a', response: 'c' } });
    expect(instr(r.examples[0])).toMatchObject({ instruction: 'what?', response: 'this' });
    expect(r.warnings).toEqual([]);
  });

  it('reads TSV, with a quoted tab kept inside a field', () => {
    const r = importOk(readFixture('qa.tsv'), { fileName: 'qa.tsv' });
    expect(r.format).toBe('tsv');
    expect(instr(r.examples[2]).instruction).toBe('A field with\ta tab');
  });

  it('asks for a mapping when no column has a familiar name, listing the columns', () => {
    const err = importErr('foo,bar\n1,2\n', { fileName: 't.csv' });
    expect(err.message).toContain('choose which column holds the instruction and the response');
    expect(err.message).toContain('"foo", "bar"');
  });

  it('names a mapped column that does not exist', () => {
    const err = importErr('q,a\n1,2\n', { fileName: 't.csv', columnMapping: { instruction: 'question', response: 'a' } });
    expect(err.field).toBe('instruction');
    expect(err.message).toContain('no such column');
  });

  it('names the row and line of a row with the wrong number of fields', () => {
    const err = importErr('question,answer\r\nq1,a1\r\n"multi\r\nline",a2\r\nq3,a3,extra\r\n', { fileName: 't.csv' });
    expect(err).toMatchObject({ record: 3, line: 5 });
    expect(err.message).toContain('3 fields but the header has 2');
  });

  it('names the line where an unclosed quote starts', () => {
    const err = importErr('question,answer\nq1,a1\n"never closed,a2\nq3,a3\n', { fileName: 't.csv' });
    expect(err.line).toBe(3);
    expect(err.message).toContain('never closed');
  });

  it('rejects an empty response cell, naming the row and column', () => {
    const err = importErr('question,answer\nq1,a1\nq2,\n', { fileName: 't.csv' });
    expect(err).toMatchObject({ record: 2, line: 3, field: 'answer' });
  });
});

describe('bad input in general', () => {
  it('reports invalid JSON at the line of a JSONL file and returns nothing (one bad line in the middle)', () => {
    const good = (k: number): string => JSON.stringify({ instruction: `Question ${k}`, input: '', output: `Answer ${k}` });
    const lines = Array.from({ length: 30 }, (_, k) => good(k));
    lines[16] = '{"instruction": "Question 16", "input": "", "output": "Answer 16"'; // line 17, no closing brace
    const result = importDataset(lines.join('\n'), { fileName: 'train.jsonl' });
    expect(result.ok).toBe(false);
    expect('examples' in result).toBe(false);
    if (result.ok) return;
    expect(result.error.line).toBe(17);
    expect(result.error.message).toMatch(/^"train\.jsonl", line 17: this line is not valid JSON: /);
    expect(result.error.message).toContain('cut off');
  });

  it('reports the line and column of a syntax error in a JSON array, with the reason', () => {
    const text = '[\n  {"instruction": "a", "output": "b"},\n  {"instruction": "c" "output": "d"}\n]';
    const err = importErr(text, { fileName: 'x.json' });
    expect(err.line).toBe(3);
    expect(err.message).toContain('a comma or "}" is missing');
    expect(err.message).toContain('column 23');
  });

  it('reports a truncated JSON file as cut off', () => {
    const full = readFixture('alpaca.json');
    const err = importErr(full.slice(0, Math.floor(full.length / 2)), { fileName: 'cut.json' });
    expect(err.message).toMatch(/cut off|never closed/);
  });

  it('says what shape was expected for a single object', () => {
    const err = importErr('{\n  "data": [{"instruction": "a", "output": "b"}]\n}', { fileName: 'wrapped.json' });
    expect(err.message).toContain('a single JSON object, but a list of records was expected');
    expect(err.message).toContain('under "data"');
    const scalar = importErr('"just text"', { fileName: 's.json', format: 'alpaca' });
    expect(scalar.message).toContain('a single text value');
  });

  it('says what a non-object record is', () => {
    const err = importErr('[{"instruction": "a", "output": "b"}, ["a", "b"]]', { fileName: 'x.json', format: 'alpaca' });
    expect(err).toMatchObject({ record: 2 });
    expect(err.message).toContain('this record is a list, but an object with fields was expected');
  });

  it('rejects an empty file and an empty list', () => {
    expect(importErr('', { fileName: 'e.json' }).message).toContain('empty');
    expect(importErr('\ufeff  \n', { fileName: 'e.jsonl' }).message).toContain('empty');
    expect(importErr('[]', { fileName: 'e.json' }).message).toContain('no records');
  });

  it('rejects a file larger than the limit before parsing it', () => {
    const text = JSON.stringify([{ instruction: 'a', input: '', output: 'b'.repeat(2000) }]);
    const err = importErr(text, { fileName: 'big.json', maxBytes: 1000 });
    expect(err.message).toContain('larger than the 1000 bytes limit');
  });

  it('counts UTF-8 bytes, not characters, against the limit', () => {
    const text = JSON.stringify([{ instruction: 'é'.repeat(400), output: 'ok' }]); // ~830 bytes, ~430 chars
    expect(importDataset(text, { fileName: 'u.json', maxBytes: 600 }).ok).toBe(false);
    expect(importDataset(text, { fileName: 'u.json', maxBytes: 1000 }).ok).toBe(true);
  });

  it('keeps <script> and <img onerror> text literally as data', () => {
    const nasty = '<script>alert("x")</script><img src=x onerror="alert(1)">';
    const text = JSON.stringify([{ instruction: nasty, input: '&lt;b&gt;', output: `${nasty} & more` }]);
    const e = instr(importOk(text, { fileName: 'x.json' }).examples[0]);
    expect(e.instruction).toBe(nasty);
    expect(e.input).toBe('&lt;b&gt;');
    expect(e.response).toBe(`${nasty} & more`);
  });

  it('handles a huge single field', () => {
    const huge = 'word '.repeat(400_000); // 2 MB
    const text = JSON.stringify([{ instruction: 'Repeat', input: '', output: huge }]);
    const e = instr(importOk(text, { fileName: 'h.json' }).examples[0]);
    expect(e.response.length).toBe(huge.length);
  });

  it('handles a BOM, CRLF line endings and blank lines in JSONL', () => {
    const text = '\ufeff{"instruction": "a", "input": "", "output": "b"}\r\n\r\n{"instruction": "c", "input": "", "output": "d"}\r\n';
    const r = importOk(text, { fileName: 'w.jsonl' });
    expect(r.examples.map((e) => instr(e).response)).toEqual(['b', 'd']);
  });

  it('keeps unicode, emoji and escaped characters exactly', () => {
    const text = JSON.stringify([{ instruction: 'Translate 👋 to 日本語 — "quoted"\u2028', input: '', output: 'こんにちは\tand\u0000nul' }]);
    const e = instr(importOk(text, { fileName: 'u.json' }).examples[0]);
    expect(e.instruction).toBe('Translate 👋 to 日本語 — "quoted"\u2028');
    expect(e.response).toBe('こんにちは\tand\u0000nul');
  });

  it('fails cleanly on deeply nested JSON', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const result = importDataset(deep, { fileName: 'deep.json', format: 'alpaca' });
    expect(result.ok).toBe(false);
  });

  it('says when the format cannot be recognised and lists the formats', () => {
    const err = importErr('{"foo": 1, "bar": 2}\n', { fileName: 'x.jsonl' });
    expect(err.message).toContain('"foo", "bar"');
    expect(err.message).toContain('alpaca, dolly');
  });

  it('gives unique ids to repeated explicit ids and warns', () => {
    const text = '{"id": "a", "instruction": "x", "output": "y"}\n{"id": "a", "instruction": "z", "output": "w"}';
    const r = importOk(text, { fileName: 'ids.jsonl' });
    expect(r.examples.map((e) => e.id)).toEqual(['a', 'a~2']);
    expect(r.warnings.join(' ')).toContain('repeated an earlier id');
  });

  it('lets the user override the detected format, and then checks the fields of that format', () => {
    const dolly = readFixture('dolly.jsonl');
    const err = importErr(dolly, { fileName: 'dolly.jsonl', format: 'alpaca' });
    expect(err).toMatchObject({ record: 1, field: 'output' });
    expect(importErr(dolly, { fileName: 'd.jsonl', format: 'nonsense' as never }).message).toContain('not a format');
  });

  it('says which fields it ignored instead of dropping them silently', () => {
    const text = '[{"instruction": "a", "output": "b", "source": "x", "score": 3}, {"instruction": "c", "output": "d", "source": "y"}]';
    const r = importOk(text, { fileName: 'extra.json' });
    expect(r.warnings).toEqual(['Fields the studio does not use were ignored: "source" (2 records), "score" (1 record).']);
  });

  it('reports progress phases', () => {
    const phases: string[] = [];
    importOk(readFixture('alpaca.json'), { fileName: 'a.json', onProgress: (p) => phases.push(p.phase) });
    expect(phases).toContain('parse');
    expect(phases).toContain('validate');
    expect(phases).toContain('dedupe');
  });
});
