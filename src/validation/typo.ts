import { commonProviderDomains, freeProviderDomains } from './lists.ts';

/**
 * "Did you mean gmail.com?" for mistyped provider domains. A domain is split into a name and a
 * public suffix (gmial | com, hotmail | co.uk). A suggestion is made when:
 *  - the suffix is the same and the name is one or two likely slips away from a popular
 *    provider's name (see `slipDistance`: gmial, hotmial, yaho, outlok, gnail), or
 *  - the name is a popular provider's and the suffix is a known slip of its suffix (gmail.con,
 *    hotmail.cm, yahoo.om); a slip that is itself a real TLD (.co, .cm, .om, .ne) only for
 *    names of 5 letters or more (gmail.co yes, mail.co / me.co / live.co no).
 * Never for a known-good domain: the popular list, the common providers, and every provider of
 * the free list that is not itself a look-alike of a popular one (email.com stays silent; the
 * typo-squatted gmai.com does not).
 *
 * Real domains sit one plain edit away from many providers (pcloud / icloud, roger / rogers,
 * gail / gmail, grange / orange, libera / libero), so only slips that fingers make count: a
 * transposition, a neighbouring key, a doubled or dropped double letter, an extra key next to
 * its neighbour; never a change of the first letter; a dropped letter only after the first two,
 * and only towards the largest providers or from a name of 6 letters or more.
 */

// Ordered by how many real mailboxes they hold: on a tie the first wins.
export const POPULAR_DOMAINS = [
  'gmail.com',
  'yahoo.com',
  'hotmail.com',
  'outlook.com',
  'icloud.com',
  'aol.com',
  'live.com',
  'msn.com',
  'googlemail.com',
  'ymail.com',
  'rocketmail.com',
  'protonmail.com',
  'proton.me',
  'comcast.net',
  'verizon.net',
  'sbcglobal.net',
  'bellsouth.net',
  'att.net',
  'charter.net',
  'earthlink.net',
  'optonline.net',
  'hotmail.co.uk',
  'hotmail.fr',
  'hotmail.de',
  'hotmail.it',
  'hotmail.es',
  'live.co.uk',
  'outlook.fr',
  'outlook.de',
  'yahoo.co.uk',
  'yahoo.fr',
  'yahoo.de',
  'yahoo.it',
  'yahoo.es',
  'yahoo.ca',
  'yahoo.com.br',
  'yahoo.co.in',
  'yahoo.co.jp',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  'mail.com',
  'zoho.com',
  'yandex.ru',
  'yandex.com',
  'mail.ru',
  'inbox.ru',
  'qq.com',
  '163.com',
  '126.com',
  'naver.com',
  'btinternet.com',
  'orange.fr',
  'wanadoo.fr',
  'laposte.net',
  'free.fr',
  'libero.it',
  'virgilio.it',
  't-online.de',
  'freenet.de',
  'seznam.cz',
  'rediffmail.com',
  'shaw.ca',
  'rogers.com',
  'bigpond.com',
  'tutanota.com',
  'fastmail.com',
  'me.com',
  'mac.com',
] as const;

// Second-level labels under which ccTLDs register names (hotmail.co.uk, yahoo.com.br).
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'ac', 'gov', 'edu', 'ne', 'or']);

// The largest providers: their look-alikes are typos or squatters far more often than real
// domains, so a dropped letter counts towards them (gmai, iclod) and a suggestion of one is a
// reason to call the address low quality without a probe (verdict.ts).
const MAJOR_NAMES = new Set(['gmail', 'googlemail', 'yahoo', 'hotmail', 'outlook', 'icloud']);

// Suffix slips that are themselves delegated TLDs: mail.co, me.co or live.co are real domains.
const REAL_TLD_SLIPS = new Set(['co', 'cm', 'om', 'ne', 'bet']);

// Slips of the suffix seen in real lists; keys are what was typed.
const SUFFIX_SLIPS: Record<string, string[]> = {
  com: [
    'co',
    'con',
    'cm',
    'om',
    'cmo',
    'ocm',
    'comm',
    'coom',
    'cpm',
    'cim',
    'vom',
    'xom',
    'c0m',
    'cok',
    'cop',
    'ccom',
    'como',
    'comn',
    'clm',
  ],
  net: ['ne', 'nt', 'nte', 'met', 'bet', 'nett', 'ner'],
  'co.uk': ['co.u', 'co.k', 'couk', 'co.ul', 'co.jk'],
};

// QWERTY neighbours: substituting a neighbour is a likely slip, any other letter is not.
const ROWS = ['1234567890-', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
const NEIGHBOURS = new Map<string, string>();
ROWS.forEach((row, r) => {
  for (let c = 0; c < row.length; c++) {
    let near = (row[c - 1] ?? '') + (row[c + 1] ?? '');
    for (const rr of [r - 1, r + 1])
      near += (ROWS[rr]?.[c - 1] ?? '') + (ROWS[rr]?.[c] ?? '') + (ROWS[rr]?.[c + 1] ?? '');
    NEIGHBOURS.set(row[c] as string, near);
  }
});

/** How far a name may be from a popular one: short names are too easy to hit by accident. */
function allowance(name: string): number {
  if (name.length <= 4) return 0; // gmx, aol, msn, live, mail: too many real look-alikes
  return name.length <= 6 ? 1 : 2; // two slips only in long names (hotmail, outlook)
}

interface Split {
  name: string;
  suffix: string;
}

/** `mail.example.co.uk` -> name `mail.example`, suffix `co.uk`; without allocating arrays. */
function split(domain: string): Split | null {
  const last = domain.lastIndexOf('.');
  if (last <= 0) return null;
  const prev = domain.lastIndexOf('.', last - 1);
  if (prev > 0 && SECOND_LEVEL.has(domain.slice(prev + 1, last))) {
    return { name: domain.slice(0, prev), suffix: domain.slice(prev + 1) };
  }
  return { name: domain.slice(0, last), suffix: domain.slice(last + 1) };
}

interface Candidate extends Split {
  domain: string;
  max: number;
  major: boolean;
}

const POPULAR_SET = new Set<string>(POPULAR_DOMAINS);
// Candidates by suffix, most popular first; short names (max 0) are never typo targets.
const BY_SUFFIX = new Map<string, Candidate[]>();
for (const domain of POPULAR_DOMAINS) {
  const s = split(domain) as Split;
  const c: Candidate = { domain, ...s, max: allowance(s.name), major: MAJOR_NAMES.has(s.name) };
  if (c.max === 0) continue;
  BY_SUFFIX.set(s.suffix, [...(BY_SUFFIX.get(s.suffix) ?? []), c]);
}
// What was typed -> the suffixes it may be a slip of.
const SLIP_TO = new Map<string, string[]>();
for (const [correct, slips] of Object.entries(SUFFIX_SLIPS)) {
  for (const slip of slips) SLIP_TO.set(slip, [...(SLIP_TO.get(slip) ?? []), correct]);
}

/**
 * Optimal-string-alignment distance where a transposition, an insertion, a deletion or a
 * keyboard-neighbour substitution costs 1 and any other substitution 2; gives up past `max`.
 */
export function typoDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const m = a.length;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    let rowMin = i;
    const ai = a[i - 1] as string;
    for (let j = 1; j <= n; j++) {
      const bj = b[j - 1] as string;
      const sub = ai === bj ? 0 : NEIGHBOURS.get(ai)?.includes(bj) ? 1 : 2;
      let v = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + sub,
      );
      if (i > 1 && j > 1 && ai === b[j - 2] && a[i - 2] === bj)
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}

const near = (x: string | undefined, y: string | undefined) =>
  x !== undefined && y !== undefined && (x === y || NEIGHBOURS.get(x)?.includes(y) === true);

/**
 * How many finger slips turn the intended `target` into the `typed` name, or `max + 1` when it
 * takes more or an edit that is not a likely slip. Each costs 1: a transposition; a neighbouring
 * key, not on the first letter; an extra key equal or next to a key typed beside it, not first;
 * a dropped double letter; any other dropped letter after the first two, when `dropAny`.
 */
export function slipDistance(typed: string, target: string, max: number, dropAny: boolean): number {
  const over = max + 1;
  const m = typed.length;
  const n = target.length;
  if (Math.abs(m - n) > max) return over;
  // The first letter is never a slip, unless swapped with the second (mgail).
  if (typed[0] !== target[0] && (typed[0] !== target[1] || typed[1] !== target[0])) return over;
  // Rows i-2, i-1 and i of d[i][j]: typed[0, i) against target[0, j).
  let prev2 = new Array<number>(n + 1).fill(over);
  let prev = new Array<number>(n + 1).fill(over);
  let cur = new Array<number>(n + 1).fill(over);
  let prevMin = over;
  for (let i = 0; i <= m; i++) {
    const a = typed[i - 1];
    let rowMin = over;
    for (let j = 0; j <= n; j++) {
      const b = target[j - 1];
      let v = i === 0 && j === 0 ? 0 : over;
      if (i > 0 && j > 0) {
        if (a === b) v = prev[j - 1] as number;
        else if (j > 1 && near(a, b)) v = Math.min(v, (prev[j - 1] as number) + 1);
      }
      // an extra key in what was typed (yahooo, gmaiul)
      if (i > 1 && (near(a, typed[i - 2]) || near(a, typed[i])))
        v = Math.min(v, (prev[j] as number) + 1);
      // a dropped letter (yaho, outlok; gmai, iclod when dropAny)
      if (j > 1 && (b === target[j - 2] || (dropAny && j > 2)))
        v = Math.min(v, (cur[j - 1] as number) + 1);
      // two neighbouring letters swapped (gmial, gamil)
      if (i > 1 && j > 1 && a !== b && a === target[j - 2] && typed[i - 2] === b)
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      cur[j] = Math.min(v, over);
      if (v < rowMin) rowMin = v;
    }
    // A transposition reaches back two rows: give up only when two rows in a row are past max.
    if (rowMin > max && prevMin > max) return over;
    prevMin = rowMin;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}

/** The raw look-alike search, ignoring whether the domain is known good. */
function nearestPopular(domain: string): string | null {
  if (POPULAR_SET.has(domain)) return null;
  const s = split(domain);
  if (!s) return null;
  for (const correct of SLIP_TO.get(s.suffix) ?? []) {
    const fixed = `${s.name}.${correct}`;
    if (!POPULAR_SET.has(fixed)) continue;
    // A slip into a real TLD is a real domain too, unless the name is a long, known one.
    if (REAL_TLD_SLIPS.has(s.suffix) && allowance(s.name) === 0) continue;
    return fixed;
  }
  let best: string | null = null;
  let bestD = Infinity;
  for (const p of BY_SUFFIX.get(s.suffix) ?? []) {
    if (Math.abs(p.name.length - s.name.length) > p.max) continue;
    const d = slipDistance(s.name, p.name, p.max, p.major || s.name.length >= 6);
    if (d <= p.max && d < bestD) {
      best = p.domain;
      bestD = d;
    }
  }
  return best;
}

let knownGood: Set<string> | null = null;

/** Builds the matcher's tables now (about a second of CPU), so no address's deadline pays it. */
export function preloadTypoTables(): void {
  knownGoodDomains();
}

/** Popular and common providers, plus every listed provider that is not a popular look-alike. */
function knownGoodDomains(): Set<string> {
  if (knownGood) return knownGood;
  const set = new Set<string>([...POPULAR_DOMAINS, ...commonProviderDomains()]);
  for (const d of freeProviderDomains()) if (!set.has(d) && nearestPopular(d) === null) set.add(d);
  // common.json itself carries a few look-alikes of the very largest providers.
  for (const d of [...set]) if (!POPULAR_DOMAINS.includes(d as never) && isSquat(d)) set.delete(d);
  return (knownGood = set);
}

function isSquat(domain: string): boolean {
  const s = split(domain);
  if (!s) return false;
  return POPULAR_DOMAINS.slice(0, 5).some((d) => {
    const p = split(d) as Split;
    return p.suffix === s.suffix && p.name !== s.name && typoDistance(s.name, p.name, 1) <= 1;
  });
}

const cache = new Map<string, string | null>();
const CACHE_MAX = 100_000;

/** A suggested domain for a mistyped one (`gmial.com` -> `gmail.com`), else null. */
export function suggestDomain(domain: string): string | null {
  const hit = cache.get(domain);
  if (hit !== undefined) return hit;
  const suggestion = knownGoodDomains().has(domain) ? null : nearestPopular(domain);
  if (cache.size >= CACHE_MAX) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(domain, suggestion);
  return suggestion;
}

/** One of the largest providers (gmail.com, yahoo.co.uk, hotmail.fr...), by its name. */
export function isMajorProvider(domain: string): boolean {
  const s = split(domain);
  return s !== null && POPULAR_SET.has(domain) && MAJOR_NAMES.has(s.name);
}

/** The whole address with the domain corrected, or null (the local part is kept as is). */
export function didYouMean(local: string, domain: string): string | null {
  const d = suggestDomain(domain);
  return d === null ? null : `${local}@${d}`;
}
