-- Message search (modules/search; README "Search"): PostgreSQL full text with
-- the `simple` configuration (no stemming, so Persian, Arabic and English
-- alike), word-prefix queries, and one normalisation for what is indexed and
-- what is asked.

-- The one normalisation, applied to stored text and to queries alike
-- (lib/search-text.ts mirrors it for validation and snippets, and a test holds
-- the two together):
--   * Arabic yeh, alef maksura and kaf (ي ى ك) become Persian yeh and kaf (ی ک);
--   * Arabic diacritics (harakat U+064B-U+0652, superscript alef U+0670), the
--     tatweel U+0640, the soft hyphen, and the invisible joiners and direction
--     marks (U+200C-U+200F, U+202A-U+202E, U+2060-U+2069, U+FEFF) are removed:
--     the zero-width non-joiner inside 'می‌خواهم' would otherwise split it in
--     two on some servers and not on others (PostgreSQL 15 with a libc locale
--     splits there; 18 with the builtin C.UTF-8 does not);
--   * punctuation that the parser reads as letters in a database whose
--     LC_CTYPE is C (« » ، ؛ ؟ ٪ ٫ ٬ ۔, general punctuation, CJK punctuation,
--     the no-break space) becomes a space, so tokens are the same under every
--     locale.
-- replace() and regexp_replace() here cost about 4 µs for a typical message,
-- to_tsvector another 8 (translate() with the same characters cost 18).
CREATE FUNCTION payamak_search_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
  regexp_replace(replace(replace(replace(t, 'ي', 'ی'), 'ى', 'ی'), 'ك', 'ک'),
    '[\u064B-\u0652\u0670\u0640\u00AD\u200C-\u200F\u202A-\u202E\u2060-\u2069\uFEFF]', '', 'g'),
  '[\u00A0\u00AB\u00BB\u060C\u061B\u061F\u066A-\u066D\u06D4\u2000-\u200B\u2010-\u2027\u2028-\u202F\u2030-\u205F\u3000-\u303F]', ' ', 'g');

-- The words of a text as the index holds them: lower-cased by `simple`, not stemmed.
CREATE FUNCTION payamak_search_vector(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_tsvector('simple'::regconfig, payamak_search_text(t));

-- A query of plain words: every word of it must match (AND), as a prefix from
-- two characters on ('payam' finds 'payamak'; a word of one character matches
-- only itself, since a one-letter prefix would read most of the index). The
-- words come from the same parser and normalisation as the stored text, so
-- & | ! ( ) : * ' \ are never operators; each word is quoted as a tsquery
-- literal (quotes and backslashes doubled), so no input is a syntax error.
-- NULL when the text has no word.
CREATE FUNCTION payamak_search_query(q text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (
  SELECT string_agg(
           '''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''' || CASE WHEN length(lexeme) > 1 THEN ':*' ELSE '' END,
           ' & ')::tsquery
  FROM unnest(payamak_search_vector(q)));

-- Stored, so a search that walks a chat's newest messages tests each in about
-- a microsecond instead of normalising and parsing it again (13 µs), and so
-- updates that do not touch the text (rev, pins, reactions) copy it. Stripped
-- of positions, which no query here uses (about 100 bytes for a 70-byte
-- message instead of 130). SYSTEM messages are never searched: NULL, so they
-- cost nothing. Changing the normalisation means recomputing this column in
-- the migration that changes it.
ALTER TABLE "Message" ADD COLUMN "searchVector" tsvector
  GENERATED ALWAYS AS (CASE WHEN "kind" <> 'SYSTEM' THEN strip(payamak_search_vector("text")) END) STORED;

-- Maintained by PostgreSQL on insert, edit and delete (a deleted message's text,
-- and so its vector, is NULL). fastupdate off: each insert pays its own few
-- entries rather than a pending list that a later send must merge and every
-- search must read. Measured on a million messages, 40,000 inserts: off,
-- 135 µs each on average (the vector included) and 4 ms at most; on, 69 µs on
-- average, but the insert that merged the pending list took 186 ms.
CREATE INDEX "Message_searchVector_idx" ON "Message" USING gin ("searchVector") WITH (fastupdate = off) WHERE "searchVector" IS NOT NULL;

-- A chat's messages newest first in the search's own order (createdAt, id), so
-- a common word stops after a page of hits instead of reading every match.
-- seq would not do: createdAt is the transaction's start, so two sends at once
-- can take seqs in the other order.
CREATE INDEX "Message_chatId_createdAt_id_idx" ON "Message"("chatId", "createdAt", "id");
