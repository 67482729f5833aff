import { badInput } from '../../lib/errors.js';

/** The timers setChatMessageTimer takes (WhatsApp's choices), in seconds, with how SYSTEM messages name them. */
export const MESSAGE_TIMERS: ReadonlyMap<number, string> = new Map([
  [24 * 3600, '24 hours'],
  [7 * 24 * 3600, '7 days'],
  [90 * 24 * 3600, '90 days'],
]);

/** The timer a client asked for: null (off) for null or 0, else one of {@link MESSAGE_TIMERS}; BAD_USER_INPUT otherwise. */
export function cleanMessageTimer(seconds: number | null | undefined): number | null {
  if (seconds === null || seconds === undefined || seconds === 0) return null;
  if (MESSAGE_TIMERS.has(seconds)) return seconds;
  throw badInput('seconds must be null or 0 (off), 86400 (24 hours), 604800 (7 days) or 7776000 (90 days)', 'seconds');
}

/** The SYSTEM message announcing a change of the timer from `from` to `to` (they differ). */
export function describeTimerChange(actor: string, from: number | null, to: number | null): string {
  if (to === null) return `${actor} turned off disappearing messages`;
  const label = MESSAGE_TIMERS.get(to)!;
  return from === null ? `${actor} turned on disappearing messages: ${label}` : `${actor} changed disappearing messages to ${label}`;
}
