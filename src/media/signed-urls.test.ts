import { describe, expect, it } from 'vitest';
import { UrlSigner } from './signed-urls.js';

const secret = 'a-test-secret-that-is-at-least-32-bytes';
const id = '7d3c1c55-2a8e-4a7e-9d0e-6f1f3b5c2a10';

function parts(path: string) {
  const url = new URL(path, 'http://x');
  return { pathname: url.pathname, exp: url.searchParams.get('exp')!, sig: url.searchParams.get('sig')! };
}

describe('UrlSigner', () => {
  it('signs a path that verifies for that file and variant only', () => {
    const signer = new UrlSigner({ secret });
    const original = parts(signer.path(id, 'original'));
    const thumbnail = parts(signer.path(id, 'thumbnail'));
    expect(original.pathname).toBe(`/files/${id}`);
    expect(thumbnail.pathname).toBe(`/files/${id}/thumbnail`);
    expect(signer.verify(id, 'original', original.exp, original.sig)).toBe('valid');
    expect(signer.verify(id, 'thumbnail', thumbnail.exp, thumbnail.sig)).toBe('valid');
    expect(signer.verify(id, 'thumbnail', original.exp, original.sig)).toBe('invalid');
    expect(signer.verify(id.replace('7', '8'), 'original', original.exp, original.sig)).toBe('invalid');
    expect(signer.verify(id, 'original', String(Number(original.exp) + 300), original.sig)).toBe('invalid');
    expect(new UrlSigner({ secret: `${secret}!` }).verify(id, 'original', original.exp, original.sig)).toBe('invalid');
  });

  it('refuses malformed input without throwing', () => {
    const signer = new UrlSigner({ secret });
    const { exp, sig } = parts(signer.path(id, 'original'));
    for (const [e, s] of [
      [undefined, sig],
      [exp, undefined],
      [['1', '2'], sig],
      ['-1', sig],
      ['1e9', sig],
      [exp, `${sig}A`],
      [exp, sig.slice(1)],
      [exp, '%'.repeat(43)],
    ]) {
      expect(signer.verify(id, 'original', e, s)).toBe('invalid');
    }
  });

  it('expires, rounded up to a bucket so a URL stays the same for a while', () => {
    let now = Date.UTC(2026, 10, 25, 9, 0, 7);
    const signer = new UrlSigner({ secret, ttlSeconds: 3600, bucketSeconds: 300, now: () => now });
    const first = parts(signer.path(id, 'original'));
    expect(Number(first.exp)).toBe(Date.UTC(2026, 10, 25, 10, 5, 0) / 1000);
    now += 60_000;
    expect(signer.path(id, 'original')).toBe(`/files/${id}?exp=${first.exp}&sig=${first.sig}`);
    now = Number(first.exp) * 1000;
    expect(signer.verify(id, 'original', first.exp, first.sig)).toBe('valid');
    now += 1000;
    expect(signer.verify(id, 'original', first.exp, first.sig)).toBe('expired');
  });

  it('signs links of another purpose apart from file URLs, each for its purpose and id, exactly ttl long', () => {
    let now = Date.UTC(2026, 11, 1, 9, 0, 7);
    const signer = new UrlSigner({ secret, now: () => now });
    const link = signer.link('export', id, 600);
    const exp = String(link.exp);
    expect(link.exp).toBe(Date.UTC(2026, 11, 1, 9, 10, 7) / 1000);
    expect(signer.verifyLink('export', id, exp, link.sig)).toBe('valid');
    expect(signer.verifyLink('other', id, exp, link.sig)).toBe('invalid');
    expect(signer.verifyLink('export', id.replace('7', '8'), exp, link.sig)).toBe('invalid');
    // A file URL's signature is no link's, and a link's no file URL's.
    expect(signer.verify(id, 'original', exp, link.sig)).toBe('invalid');
    const file = parts(signer.path(id, 'original'));
    expect(signer.verifyLink('export', id, file.exp, file.sig)).toBe('invalid');
    expect(() => signer.link('file', id, 600)).toThrow(/purpose/);
    now = link.exp * 1000 + 1000;
    expect(signer.verifyLink('export', id, exp, link.sig)).toBe('expired');
  });

  it('signs a poster apart, and with one exp the URLs of a file expire together at expiry()', () => {
    let now = Date.UTC(2026, 10, 25, 9, 4, 59, 900);
    const signer = new UrlSigner({ secret, ttlSeconds: 3600, bucketSeconds: 300, now: () => now });
    const exp = signer.expiry();
    expect(exp).toBe(Date.UTC(2026, 10, 25, 10, 5, 0) / 1000);
    const poster = parts(signer.path(id, 'poster', exp));
    expect(poster.pathname).toBe(`/files/${id}/poster`);
    expect(signer.verify(id, 'poster', poster.exp, poster.sig)).toBe('valid');
    expect(signer.verify(id, 'thumbnail', poster.exp, poster.sig)).toBe('invalid');
    // Past the bucket's boundary a new URL would expire later; one made with the same exp does not.
    now += 1200;
    expect(signer.expiry()).toBe(exp + 300);
    expect(Number(parts(signer.path(id, 'original', exp)).exp)).toBe(exp);
  });

  it('wants a secret of at least 32 bytes', () => {
    expect(() => new UrlSigner({ secret: 'short' })).toThrow(/32 bytes/);
  });
});
