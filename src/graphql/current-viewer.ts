import { createParameterDecorator } from 'type-graphql';
import { unauthenticated } from '../lib/errors.js';
import type { Context } from './context.js';

/** Injects the signed-in viewer; use only on `@Authorized()` operations. */
export function CurrentViewer() {
  return createParameterDecorator<Context>(({ context }) => {
    if (!context.viewer) throw unauthenticated();
    return context.viewer;
  });
}
