/** What a page says of itself, read from its <head>: <title> and the Open Graph and description <meta> tags. */
export interface PageMetadata {
  title: string | null;
  description: string | null;
  siteName: string | null;
  /** og:image, resolved against the page's URL; only http(s). */
  imageUrl: string | null;
}

/** Column widths of Message.preview* (migration 20261202013000_link_previews). */
export const PREVIEW_LIMITS = { title: 300, description: 1000, siteName: 100 } as const;

const META = /<meta\b[^>]*>/gi;
const ATTRIBUTE = /([^\s"'<>/=]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/g;
const TITLE = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i;

/**
 * Reads the metadata of an HTML page: og:title before <title>, og:description
 * before the description meta tag, og:site_name, og:image (og:image:secure_url,
 * og:image:url). Only the head is looked at (up to </head> or <body>), with
 * tolerant regular expressions rather than a parser: nothing runs, and a
 * broken page gives less, never an error. Values are decoded, whitespace
 * collapsed, control characters dropped, and cut to {@link PREVIEW_LIMITS}.
 */
export function readMetadata(body: Buffer, charset: string | undefined, pageUrl: string): PageMetadata {
  const head = headOf(decode(body, charset ?? declaredCharset(body)));
  const meta = new Map<string, string>();
  for (const [tag] of head.matchAll(META)) {
    const attributes = new Map<string, string>();
    for (const match of tag.matchAll(ATTRIBUTE)) attributes.set(match[1]!.toLowerCase(), match[2] ?? match[3] ?? match[4] ?? '');
    const key = (attributes.get('property') ?? attributes.get('name'))?.toLowerCase();
    const content = attributes.get('content');
    // The first wins, as with Open Graph's own rule for repeated properties.
    if (key !== undefined && content !== undefined && !meta.has(key)) meta.set(key, content);
  }
  const titleTag = TITLE.exec(head)?.[1];
  const pick = (limit: number, ...values: (string | undefined)[]) => {
    for (const value of values) {
      const cleaned = value === undefined ? '' : clean(decodeEntities(value.replace(/<[^>]*>/g, '')), limit);
      if (cleaned !== '') return cleaned;
    }
    return null;
  };
  return {
    title: pick(PREVIEW_LIMITS.title, meta.get('og:title'), titleTag, meta.get('twitter:title')),
    description: pick(PREVIEW_LIMITS.description, meta.get('og:description'), meta.get('description'), meta.get('twitter:description')),
    siteName: pick(PREVIEW_LIMITS.siteName, meta.get('og:site_name')),
    imageUrl: resolveImage(pageUrl, meta.get('og:image:secure_url') ?? meta.get('og:image') ?? meta.get('og:image:url')),
  };
}

function headOf(html: string): string {
  const end = html.search(/<\/head\s*>|<body\b/i);
  return end === -1 ? html : html.slice(0, end);
}

/** `<meta charset="…">` or the http-equiv form, from the first bytes (read as latin1, which any ASCII-compatible charset agrees with there). */
function declaredCharset(body: Buffer): string | undefined {
  const start = body.subarray(0, 2048).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?([\w-]+)/i.exec(start)?.[1];
}

function decode(body: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    // An unknown label: UTF-8, the web's default, with replacement characters for what it is not.
    return new TextDecoder('utf-8').decode(body);
  }
}

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]+|#39);/gi, (entity, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : '';
    }
    return NAMED[name.toLowerCase()] ?? entity;
  });
}

/** One line of text, at most `limit` characters (code points, so no surrogate pair is cut). */
function clean(text: string, limit: number): string {
  const line = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(line);
  return chars.length <= limit
    ? line
    : `${chars
        .slice(0, limit - 1)
        .join('')
        .trimEnd()}…`;
}

function resolveImage(pageUrl: string, raw: string | undefined): string | null {
  if (raw === undefined) return null;
  try {
    const url = new URL(decodeEntities(raw.trim()), pageUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}
