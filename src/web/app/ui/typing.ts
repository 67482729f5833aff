import { useSubscription } from '@apollo/client/react';
import { useEffect, useState } from 'react';
import { OnTyping } from '../operations';
import { session } from '../session';

/** Lapse of a typing signal that was not renewed (the server's own lapse is 6 s). */
const TYPING_LAPSE_MS = 6_500;

/** Who is typing in a chat right now (not me), by display name. */
export function useTyping(chatId: string): string[] {
  const [typing, setTyping] = useState<Map<string, { name: string; until: number }>>(new Map());
  useSubscription(OnTyping, {
    variables: { chatId },
    onData: ({ data }) => {
      const event = data.data?.typing;
      if (!event || event.userId === session.user?.id) return;
      setTyping((current) => {
        const next = new Map(current);
        if (event.typing) next.set(event.userId, { name: event.user.displayName, until: Date.now() + TYPING_LAPSE_MS });
        else next.delete(event.userId);
        return next;
      });
    },
  });
  useEffect(() => {
    if (typing.size === 0) return;
    const timer = setInterval(() => {
      setTyping((current) => {
        const now = Date.now();
        const next = new Map([...current].filter(([, entry]) => entry.until > now));
        return next.size === current.size ? current : next;
      });
    }, 1000);
    return () => clearInterval(timer);
  }, [typing.size]);
  return [...typing.values()].map((entry) => entry.name);
}
