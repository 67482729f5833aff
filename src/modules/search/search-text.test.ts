/**
 * The normalisation has one definition, the SQL function of the migration;
 * lib/search-text.ts mirrors it for validation and snippets. These tests hold
 * the mirror to the database's output, and the query builder to "no input is
 * a syntax error".
 */
import { mulberry32 } from '../../test/random.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../generated/prisma/client.js';
import { cleanSearchQuery, normalizeSearchText } from '../../lib/search-text.js';
import { startTestServer, type TestServer } from '../../test/server.js';
import { choosePlan, walk, type Window, type WindowRow } from './search.plan.js';
import { SNIPPET_LENGTH, snippetOf } from './search.snippet.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

// Letters of both scripts, everything the normalisation touches, and what tsquery syntax is made of.
const ALPHABET = [
  ...'abcXYZ019 سلامدوستانیکهيكى۰۱٠١',
  ...'\u064B\u064E\u0650\u0651\u0652\u0670\u0640\u00AD\u200B\u200C\u200D\u200E\u200F\u202A\u202E\u2066\u2069\uFEFF',
  ...'\u00A0«»،؛؟٪٫٬۔\u2013\u2014\u2018\u2019\u201C\u201D…\u3001\u3002',
  ...`&|!():*'\\<->"-_./@#%$^~?,;[]{}+=\t\n`,
  '😀',
  'é',
];

function randomStrings(count: number, seed: number): string[] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: 1 + Math.floor(next() * 16) }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join(''),
  );
}

const TRICKY = ['می‌خواهم', 'علي و كتاب', 'مُحَمَّد', 'سلـــام', '«سلام»، دوستان؟', 'Payamak\u00A0team', '\u202Bمتن\u202C', 'a\u200Bb', '٪۵٫۲', 'ـ', ''];

describe('the search normalisation', () => {
  it('is the same in TypeScript as payamak_search_text', async () => {
    const inputs = [...TRICKY, ...randomStrings(500, 0x5ea7c4)];
    const rows = await server.database.prisma.$queryRaw<{ out: string }[]>`
      SELECT payamak_search_text(t) AS "out" FROM unnest(${inputs}::text[]) WITH ORDINALITY AS i(t, n) ORDER BY n`;
    const mismatches = inputs.map((input, i) => ({ input, sql: rows[i]!.out, ts: normalizeSearchText(input) })).filter((row) => row.sql !== row.ts);
    expect(mismatches).toEqual([]);
  });

  it('turns every string into a tsquery or NULL, never a syntax error', async () => {
    const inputs = randomStrings(2000, 0xbad5eed);
    const [row] = await server.database.prisma.$queryRaw<{ words: number; empty: number }[]>`
      SELECT count(q)::int AS "words", count(*) FILTER (WHERE q IS NULL)::int AS "empty"
      FROM (SELECT payamak_search_query(t) AS q FROM unnest(${inputs}::text[]) AS t) s`;
    expect(row!.words + row!.empty).toBe(inputs.length);
    expect(row!.words).toBeGreaterThan(1000);
  });

  it('keeps a word with a zero-width non-joiner whole, and matches prefixes', async () => {
    const match = async (text: string, query: string) => {
      const [row] = await server.database.prisma.$queryRaw<{ hit: boolean }[]>(
        Prisma.sql`SELECT coalesce(payamak_search_vector(${text}) @@ payamak_search_query(${query}), false) AS "hit"`,
      );
      return row!.hit;
    };
    expect(await match('می‌خواهم', 'میخواهم')).toBe(true);
    expect(await match('می‌خواهم', 'خواهم')).toBe(false);
    expect(await match('سلام دوستان', 'دوست')).toBe(true);
    expect(await match('سلام دوستان', 'وستان')).toBe(false);
    expect(await match('علي', 'علی')).toBe(true);
    expect(await match('«سلام»', 'سلام')).toBe(true);
  });
});

describe('cleanSearchQuery', () => {
  it('keeps the words a snippet marks, and refuses what cannot be searched', () => {
    expect(cleanSearchQuery('  Payamak  علي!  ', 'query')).toEqual({ text: 'Payamak  علي!', words: ['payamak', 'علی'] });
    expect(cleanSearchQuery('a\u0000b', 'query')).toEqual({ text: 'a b', words: ['a', 'b'] });
    for (const query of ['', ' ', 'a', '!!', '\u064B\u064B', 'x'.repeat(201), 'a b c d e f g h i j k']) {
      expect(() => cleanSearchQuery(query, 'query'), JSON.stringify(query)).toThrow(
        expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', field: 'query' } }),
      );
    }
  });
});

describe('snippetOf', () => {
  it('marks the matches, escapes the rest, and cuts long text around the first match', () => {
    expect(snippetOf('Hello <i>Payamak</i> & "you"', ['payam'])).toBe('Hello &lt;i&gt;<mark>Payamak</mark>&lt;/i&gt; &amp; &quot;you&quot;');
    expect(snippetOf('من می‌خواهم بروم', ['میخواهم'])).toBe('من <mark>می‌خواهم</mark> بروم');
    expect(snippetOf('علي آمد', ['علی'])).toBe('<mark>علي</mark> آمد');
    expect(snippetOf('a b ab', ['a'])).toBe('<mark>a</mark> b ab');
    const long = `${'lorem '.repeat(40)}needle ${'ipsum '.repeat(40)}`;
    const cut = snippetOf(long, ['needle']);
    expect(cut).toMatch(/^…(lorem )+<mark>needle<\/mark>( ipsum)+…$/);
    // The text shown, without the marks, and the two ellipses.
    expect(cut.replace(/<\/?mark>/g, '').length).toBeLessThanOrEqual(SNIPPET_LENGTH + 2);
    expect(snippetOf(`${'😀'.repeat(200)}`, ['x'])).toMatch(/^(😀)+…$/);
  });

  it('shows the beginning, unmarked, when the match is not a word it sees', () => {
    expect(snippetOf('see payamak.com/docs', ['payamak.com'])).toBe('see payamak.com/docs');
  });
});

describe('choosePlan', () => {
  const chats = (count: number, rows: number) => Array.from({ length: count }, (_, i) => ({ chatId: `c${i}`, fromSeq: 0, toSeq: null, rows }));
  const million = 1_000_000;
  const plan = (matches: number, ranges = chats(50, 1000), bySender = false) => choosePlan({ matches, searchable: million }, ranges, 21, bySender);
  it('walks back in time for a common word, reads a rare one from the index, and intersects in between', () => {
    expect(plan(600_000)).toBe('walk');
    expect(plan(120_000)).toBe('walk');
    expect(plan(20_000)).toBe('walk');
    expect(plan(2_000)).toBe('index');
    // Few chats: their rows are a cheap bitmap to intersect the matches with.
    expect(plan(3_000, chats(5, 1000))).toBe('indexInChats');
    expect(plan(50)).toBe('index');
    // Two small chats: reading them costs less than any index scan of a common word.
    expect(plan(50_000, chats(2, 10))).toBe('walk');
    // One sender's messages are one stream: walked for a common word, the index for a rare one.
    expect(plan(600_000, chats(50, 1000), true)).toBe('walk');
    expect(plan(50, chats(50, 1000), true)).toBe('index');
  });
});

describe('walk', () => {
  const spec = (rows: number) => ({
    viewerId: 'v',
    query: 'q',
    ranges: [{ chatId: 'c', fromSeq: 0, toSeq: null, rows }],
    senderId: null,
    before: undefined,
    limit: 3,
  });
  const day = 86_400_000;
  const now = Date.now();
  /** A chat of `count` messages, one per hour back from now; every `every`-th one a hit. */
  const messages = (count: number, every: number) =>
    Array.from({ length: count }, (_, i) => ({ id: String(i).padStart(4, '0'), createdAt: new Date(now - i * 3_600_000), hit: i % every === 0 }));
  const runner = (all: ReturnType<typeof messages>, seen: Window[]) => async (_: unknown, window: Window) => {
    seen.push(window);
    const inside = all.filter((m) => (window.from === null || m.createdAt >= window.from) && (window.to === null || m.createdAt < window.to));
    const hits = inside.filter((m) => m.hit).slice(0, 3);
    const examined = inside.length;
    return (hits.length > 0 ? hits : [{ id: null }]).map((m) => ({ ...m, examined })) as unknown as WindowRow[];
  };

  it('reads back in windows joined end to end, each at most four times longer, until a page of hits', async () => {
    const all = messages(1000, 50);
    const seen: Window[] = [];
    // The estimate says half the messages match; one in 50 does: the windows must grow.
    const walked = await walk(spec(1000), { share: 0.5, oldest: new Date(now - 1000 * 3_600_000) }, runner(all, seen));
    expect(walked).toEqual({
      done: true,
      hits: all
        .filter((m) => m.hit)
        .slice(0, 3)
        .map(({ hit: _, ...m }) => m),
    });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[0]!.to).toBeNull();
    const upper = (w: Window) => w.to?.getTime() ?? now;
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.to).toEqual(seen[i - 1]!.from);
      if (seen[i]!.from) expect(upper(seen[i]!) - seen[i]!.from!.getTime()).toBeLessThanOrEqual(4 * (upper(seen[i - 1]!) - seen[i - 1]!.from!.getTime()) + 1);
    }
  });

  it('sizes a window for what is still missing once it has seen hits', async () => {
    const all = messages(1000, 10);
    const seen: Window[] = [];
    // Share right, rate wrong (the oldest chat is far older than its messages): the first window holds 2 of the 3 hits.
    await walk(spec(1000), { share: 0.1, oldest: new Date(now - 1800 * 3_600_000) }, async (statement, window) => {
      if (seen.length === 0) {
        seen.push(window);
        return [0, 10].map((i) => ({ ...all[i]!, examined: 20 })) as unknown as WindowRow[];
      }
      return runner(all, seen)(statement, window);
    });
    const span = (w: Window) => (w.to?.getTime() ?? now) - w.from!.getTime();
    // Still missing: 1 hit at 1 in 10 of ~20 messages per first window's span: about 15 messages, not 4 windows' worth.
    expect(span(seen[1]!)).toBeLessThan(span(seen[0]!));
  });

  it('ends at the oldest chat with what there is, and gives way when it reads more than it expected', async () => {
    const few = messages(10, 4);
    const complete = await walk(spec(10), { share: 0.5, oldest: new Date(now - 11 * 3_600_000) }, runner(few, []));
    expect(complete).toMatchObject({ done: true, hits: [{ id: '0000' }, { id: '0004' }, { id: '0008' }] });
    const rare = messages(2000, 1000);
    const seen: Window[] = [];
    const stopped = await walk(spec(2000), { share: 0.5, oldest: new Date(now - 100 * day), budget: 20 }, runner(rare, seen));
    expect(stopped).toMatchObject({ done: false, hits: [{ id: '0000' }], stoppedAt: seen.at(-1)!.from });
  });
});
