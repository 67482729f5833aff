/**
 * Which budget an operation spends (README "Budgets"), the same over HTTP and
 * graphql-ws. The owner's RATE_LIMIT_API (100 per 15 minutes) was written for
 * REST-style reads and writes; a phone sends typing and receipts every few
 * seconds, so those spend RATE_LIMIT_SIGNALS instead, one point per root field
 * (aliases cannot pack 15 into one). refreshToken spends nothing here: the
 * service charges its session's RATE_LIMIT_REFRESH, or for a token it does not
 * know the address's RATE_LIMIT_AUTH.
 */
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { LimitState, RateLimits } from '../lib/rate-limits.js';

/** Mutations that are signals: typing and receipts. */
const SIGNALS = new Set(['setTyping', 'markDelivered', 'markRead', 'updateMessageStatus']);
/** Budgeted by the service that runs them. */
const SELF_BUDGETED = new Set(['refreshToken']);

type Budget = { kind: 'api' } | { kind: 'signals'; points: number } | { kind: 'none' };

function budgetOf(operation: OperationDefinitionNode | null | undefined): Budget {
  if (operation?.operation !== 'mutation') return { kind: 'api' };
  const fields: string[] = [];
  for (const selection of operation.selectionSet.selections) {
    // A fragment at the root could hide anything: the API budget.
    if (selection.kind !== Kind.FIELD) return { kind: 'api' };
    if (selection.name.value !== '__typename') fields.push(selection.name.value);
  }
  if (fields.length === 0) return { kind: 'api' };
  if (fields.every((name) => SIGNALS.has(name))) return { kind: 'signals', points: fields.length };
  if (fields.every((name) => SELF_BUDGETED.has(name))) return { kind: 'none' };
  return { kind: 'api' };
}

/**
 * Spends what the operation costs: the viewer's budget, or the address's when
 * signed out (signals need a viewer, so signed out they count as API calls).
 * Throws RATE_LIMITED (with `extensions.policy`); returns the state for
 * RateLimit headers, null when nothing was counted.
 */
export async function spendBudget(
  limits: Pick<RateLimits, 'api' | 'signals'>,
  operation: OperationDefinitionNode | null | undefined,
  caller: { userId: string | null; ip: string },
): Promise<LimitState | null> {
  const budget = budgetOf(operation);
  if (budget.kind === 'none') return null;
  if (budget.kind === 'signals' && caller.userId !== null) return limits.signals.consume(`user:${caller.userId}`, budget.points);
  return limits.api.consume(caller.userId !== null ? `user:${caller.userId}` : `ip:${caller.ip}`);
}
