/**
 * Makes objects whose properties come from groups, each group made the first
 * time one of its properties is read on that object. A request's DataLoaders
 * are ~50 objects built by nine modules, and most operations use one or two
 * modules' (a subscription being set up often none): building them all for
 * every request and every subscription was a measurable share of both.
 *
 * Each group's property names are learnt once, here, by making one group; the
 * objects then share one prototype of getters, so a made object costs one
 * allocation until it is used. Properties of one group always come from the
 * same group object, so loaders that prime one another keep doing so.
 */
export function lazyGroups<T extends object>(groups: readonly (() => object)[]): () => T {
  const prototype: Record<PropertyKey, unknown> = {};
  groups.forEach((make, index) => {
    const slot = Symbol(`group ${index}`);
    for (const key of Object.keys(make())) {
      if (Object.hasOwn(prototype, key)) throw new Error(`lazyGroups: "${key}" is in two groups`);
      Object.defineProperty(prototype, key, {
        enumerable: true,
        get(this: Record<symbol, Record<string, unknown> | undefined>) {
          return (this[slot] ??= make() as Record<string, unknown>)[key];
        },
      });
    }
  });
  return () => Object.create(prototype) as T;
}
