// Country facts for the pretraining corpus and the evaluation: eight relations per
// country, cleaned from the countries-list package (MIT). Plain TypeScript: the
// caller passes the raw data in.

export const RELATIONS = ['capital', 'continent', 'currency', 'language', 'callingCode', 'domain', 'currencyCode', 'code3'] as const;
export type Relation = (typeof RELATIONS)[number];

export type CountryFacts = { code: string; name: string } & Record<Relation, string>;

export interface CountriesListData {
  countries: Record<string, { name: string; capital: string; continent: string; currency: string[]; languages: string[]; phone: number[] }>;
  continents: Record<string, string>;
  currencies: Record<string, { name: string }>;
  languages: Record<string, { name: string }>;
  /** ISO 3166 two-letter code -> three-letter code (countries-list's minimal/countries.2to3). */
  alpha3: Record<string, string>;
}

/**
 * Dependent territories, uninhabited islands and special areas: left out so the
 * facts are about countries, as a quiz would ask them.
 */
const NOT_COUNTRIES = new Set(
  'AC AI AQ AS AW AX BL BM BQ BV CC CK CW CX EH FK FO GF GG GI GL GP GS GU HK HM IM IO JE KY MF MO MP MQ MS NC NF NU PF PM PN PR RE SH SJ SX TA TC TF TK UM VG VI WF YT'.split(' '),
);

/** Language names in the package that are not what a reader would call the language. */
const LANGUAGE_FIXES: Record<string, string> = {
  Somalia: 'Somali',
  Rwandi: 'Kinyarwanda',
  Laotian: 'Lao',
  Cambodian: 'Khmer',
};

/**
 * Where a package value is a second or ceremonial seat, the name quizzes expect.
 * Kept short: every entry is checked against an atlas, and the rest are taken as they are.
 */
const CAPITAL_FIXES: Record<string, string> = {
  'Ulan Bator': 'Ulaanbaatar',
};

/**
 * What the corpus needs from the package, checked before anything is built, so a
 * changed or missing package stops with the file and field named.
 */
export function sourceProblems(data: Partial<CountriesListData>): string[] {
  const problems: string[] = [];
  const need = (ok: boolean, where: string, what: string) => {
    if (!ok) problems.push(`${where}: ${what}`);
  };
  const countries = data.countries;
  need(!!countries && typeof countries === 'object' && Object.keys(countries).length > 100, 'countries.min.json', 'expected an object of more than 100 countries keyed by ISO code');
  for (const [code, c] of Object.entries(countries ?? {})) {
    for (const f of ['name', 'capital', 'continent'] as const) need(typeof c?.[f] === 'string', `countries.min.json ${code}`, `field "${f}" is missing or not a string`);
    for (const f of ['currency', 'languages', 'phone'] as const) need(Array.isArray(c?.[f]), `countries.min.json ${code}`, `field "${f}" is missing or not an array`);
    if (problems.length >= 5) break;
  }
  need(!!data.continents && typeof data.continents.EU === 'string', 'continents.min.json', 'field "EU" (a continent name) is missing');
  need(!!data.currencies && typeof data.currencies.EUR?.name === 'string', 'currencies.min.json', 'field "EUR.name" is missing');
  need(!!data.languages && typeof data.languages.fr?.name === 'string', 'languages.min.json', 'field "fr.name" is missing');
  need(!!data.alpha3 && data.alpha3.FR === 'FRA', 'minimal/countries.2to3.min.json', 'field "FR" (expected "FRA") is missing');
  return problems;
}

/** The countries with every relation known, sorted by name. */
export function loadCountryFacts(data: CountriesListData): CountryFacts[] {
  const out: CountryFacts[] = [];
  for (const [code, c] of Object.entries(data.countries)) {
    if (NOT_COUNTRIES.has(code)) continue;
    const capital = CAPITAL_FIXES[c.capital] ?? c.capital;
    const continent = data.continents[c.continent];
    const currency = c.currency[0] ? data.currencies[c.currency[0]]?.name : undefined;
    const languageRaw = c.languages[0] ? data.languages[c.languages[0]]?.name : undefined;
    const language = languageRaw ? (LANGUAGE_FIXES[languageRaw] ?? languageRaw) : undefined;
    const currencyCode = c.currency[0];
    const phone = c.phone[0];
    const code3 = data.alpha3[code];
    if (!capital || !continent || !currency || !language || !currencyCode || phone === undefined || !code3) continue;
    // A capital named like its country makes the answer an echo of the question.
    if (capital === c.name) continue;
    out.push({
      code,
      name: c.name,
      capital,
      continent,
      currency,
      language,
      callingCode: `+${phone}`,
      // The country-code top-level domain is the ISO code, except the United Kingdom's.
      domain: `.${code === 'GB' ? 'uk' : code.toLowerCase()}`,
      currencyCode,
      code3,
    });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** How each relation is named inside a question ("the {noun} of France"). */
export const RELATION_NOUNS: Record<Relation, string> = {
  capital: 'capital',
  continent: 'continent',
  currency: 'currency',
  language: 'official language',
  callingCode: 'calling code',
  domain: 'internet domain',
  currencyCode: 'currency code',
  code3: 'three-letter code',
};

/** Forms shared by every relation ({r} the relation's noun, {R} capitalised, {x} the country). */
const POOL_FORMS = [
  'What is the {r} of {x}?',
  'Name the {r} of {x}.',
  'Tell me the {r} of {x}.',
  '{R} of {x}?',
  'Quick question: what is the {r} of {x}?',
  'Could you tell me the {r} of {x}, please?',
  '{x}: what is its {r}?',
  'what is the {r} of {x}',
  'Give the {r} of {x}.',
  'For {x}, what is the {r}?',
  "What is {x}'s {r}?",
];

/** Natural phrasings per relation that do not follow the shared forms. */
const POOL_SPECIFIC: Record<Relation, readonly string[]> = {
  capital: ['Which city is the capital of {x}?', '{x} has which city as its capital?'],
  continent: ['On which continent is {x}?', '{x} is on which continent?'],
  currency: ['Which currency is used in {x}?', 'What money do people use in {x}?'],
  language: ['Which language is spoken in {x}?', 'What language do people speak in {x}?'],
  callingCode: ['What number do you dial to phone {x} from abroad?', '{x} has which calling code?'],
  domain: ['Which web domain belongs to {x}?', '{x} has which internet domain?'],
  currencyCode: ['How is the currency of {x} written in three letters?', '{x} uses which currency code?'],
  code3: ['How is {x} abbreviated in three letters?', '{x} has which three-letter code?'],
};

/**
 * Held-out forms, written apart from the pool: never in the corpus, a quiz sheet or a
 * tuning set (a test checks), used only to measure phrasings never seen.
 */
const HELDOUT_FORMS = [
  'Please state the {r} of {x}.',
  'Do you know the {r} of {x}?',
  'I need the {r} of {x}.',
  'Hey, what is the {r} for {x}?',
  'In {x}, what is the {r}?',
  'Can you name the {r} of {x}?',
  'The {r} of {x}, please.',
  '{x} - {r}?',
];

function fromForms(forms: readonly string[], r: Relation): string[] {
  const noun = RELATION_NOUNS[r];
  return forms.map((f) => f.replaceAll('{r}', noun).replaceAll('{R}', noun[0]!.toUpperCase() + noun.slice(1)));
}

const byRelation = (f: (r: Relation) => readonly string[]) => Object.fromEntries(RELATIONS.map((r) => [r, f(r)])) as Record<Relation, readonly string[]>;

/**
 * The template pool per relation, FLAN-style: questions, imperatives, terse forms,
 * polite requests, a preamble, the country first or last, with and without a
 * question mark, lower case. Quiz sheets in the corpus ask them (unanswered) and the
 * tuning data answers them for the tuned relations.
 */
export const TEMPLATE_POOL = byRelation((r) => [...fromForms(POOL_FORMS, r), ...POOL_SPECIFIC[r]]);

/** The held-out phrasings per relation: evaluation only. */
export const HELDOUT_TEMPLATES = byRelation((r) => fromForms(HELDOUT_FORMS, r));

export function question(template: string, c: CountryFacts): string {
  return template.replaceAll('{x}', c.name);
}
