import { describe, expect, it } from 'vitest';
import { lazyGroups } from './lazy-groups.js';

describe('lazyGroups', () => {
  it('makes a group when one of its properties is first read, once per object', () => {
    const made: string[] = [];
    const make = lazyGroups<{ a: { n: number }; b: { n: number }; c: { n: number } }>([
      () => {
        made.push('ab');
        return { a: { n: made.length }, b: { n: made.length } };
      },
      () => {
        made.push('c');
        return { c: { n: made.length } };
      },
    ]);
    made.length = 0; // the sample groups made to learn the names
    const first = make();
    const second = make();
    expect(made).toEqual([]);
    const a = first.a;
    expect(made).toEqual(['ab']);
    // b comes from the same group object as a: made with it, not again
    expect(first.b.n).toBe(a.n);
    expect(first.a).toBe(a);
    expect(made).toEqual(['ab']);
    expect(second.a).not.toBe(a);
    expect(made).toEqual(['ab', 'ab']);
    expect(first.c.n).toBe(3);
    expect(made).toEqual(['ab', 'ab', 'c']);
    expect(Object.keys(Object.getPrototypeOf(first))).toEqual(['a', 'b', 'c']);
  });

  it('refuses a name two groups give', () => {
    expect(() => lazyGroups([() => ({ a: 1 }), () => ({ a: 2 })])).toThrow(/"a" is in two groups/);
  });
});
