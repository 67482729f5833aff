import { createParameterDecorator } from 'type-graphql';
import { AuthReason, unauthenticated } from '../lib/errors.js';
import type { Context } from './context.js';

/** Injects the signed-in viewer; use only on `@Authorized()` operations. */
export function CurrentViewer() {
  return createParameterDecorator<Context>(({ context }) => {
    if (!context.viewer) throw unauthenticated(AuthReason.TOKEN_INVALID);
    return context.viewer;
  });
}
