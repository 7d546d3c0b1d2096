// Country facts for the pretraining corpus and the evaluation: four relations per
// country (capital, continent, currency, official language), cleaned from the
// countries-list package (MIT). Plain TypeScript: the caller passes the raw data in.

export const RELATIONS = ['capital', 'continent', 'currency', 'language'] as const;
export type Relation = (typeof RELATIONS)[number];

export interface CountryFacts {
  code: string;
  name: string;
  capital: string;
  continent: string;
  currency: string;
  language: string;
}

export interface CountriesListData {
  countries: Record<string, { name: string; capital: string; continent: string; currency: string[]; languages: string[] }>;
  continents: Record<string, string>;
  currencies: Record<string, { name: string }>;
  languages: Record<string, { name: string }>;
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
    if (!capital || !continent || !currency || !language) continue;
    // A capital named like its country makes the answer an echo of the question.
    if (capital === c.name) continue;
    out.push({ code, name: c.name, capital, continent, currency, language });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export function factOf(c: CountryFacts, r: Relation): string {
  return c[r];
}

/**
 * Question phrasings per relation. The first three are the tuning templates; the
 * last ones are never tuned on, to test transfer to unseen phrasings. Quiz sheets in
 * the corpus use all of them, without answers.
 */
export const QUESTIONS: Record<Relation, readonly string[]> = {
  capital: [
    'What is the capital of {x}?',
    'Name the capital city of {x}.',
    "Which city is {x}'s capital?",
    'What city is the capital of {x}?',
    '{x} has which city as its capital?',
  ],
  continent: [
    'Which continent is {x} in?',
    'On which continent is {x} located?',
    'Name the continent where {x} lies.',
    'What continent is {x} part of?',
    '{x} is on which continent?',
  ],
  currency: [
    'What is the currency of {x}?',
    'Which currency is used in {x}?',
    'Name the money people use in {x}.',
    'What money is used in {x}?',
    '{x} pays with which currency?',
  ],
  language: [
    'What is the official language of {x}?',
    'Which language is spoken in {x}?',
    'Name the main language of {x}.',
    'What language do people speak in {x}?',
    '{x} speaks which language?',
  ],
};

/** How many leading phrasings of each relation the tuning data uses. */
export const TUNED_PHRASINGS = 3;

/**
 * More phrasings for the tuning data only (never in the corpus, so the base model is
 * the same with or without them, and never in an evaluation set). FLAN's finding is
 * that many phrasings per task make a tuned model follow phrasings it never saw; with
 * only the three above, every tuned question ends with the country, and the tuned model
 * read a country-first question such as "{x} has which city as its capital?" as a
 * currency question. These vary where the country stands.
 */
export const TUNING_ONLY_QUESTIONS: Partial<Record<Relation, readonly string[]>> = {
  capital: ['{x}: which city is the capital?', 'Tell me the capital of {x}.', 'For {x}, what is the capital city?'],
  continent: ['{x}: which continent is it on?', 'Tell me which continent {x} is in.', 'For {x}, name the continent.'],
  currency: ['{x}: what currency does it use?', 'Tell me the currency of {x}.', 'For {x}, name the currency.'],
};

export function question(template: string, c: CountryFacts): string {
  return template.replaceAll('{x}', c.name);
}
