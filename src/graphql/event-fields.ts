import { Extensions } from 'type-graphql';

/** The field extensions below set (read by server/shared-subscriptions.ts). */
export const SAME_FOR_EVERY_VIEWER = 'sameForEveryViewer';
export const SAME_FOR_EVERY_VIEWER_AS_APPENDED = 'sameForEveryViewerAsAppended';
export const SAME_FOR_EVERY_VIEWER_WHEN_NULL = 'sameForEveryViewerWhenNull';
export const EVENTS_AS_APPENDED = 'eventsAsAppended';

/**
 * Marks an event field whose value is the same for every member who receives
 * the event, whoever they are: a plain property of the published payload, or
 * an object read the same way for everyone (a message's sender), whose own
 * fields then decide in turn. A subscription that selects only such fields is
 * rendered once per event for all its subscribers. Anything that depends on
 * the viewer (what privacy settings show, a signed URL, deleted for me) must
 * not carry it.
 */
export const SameForEveryViewer = () => Extensions({ [SAME_FOR_EVERY_VIEWER]: true });

/**
 * Marks an event field that is the same for every viewer in the events of a
 * subscription marked {@link EventsAsAppended}: a message as appended is SENT
 * and has no reactions, for everyone (modules/messages' isAsAppended).
 */
export const SameForEveryViewerAsAppended = () => Extensions({ [SAME_FOR_EVERY_VIEWER_AS_APPENDED]: true });

/**
 * Marks an event field that depends on the viewer unless the payload's
 * `property` is null (a reply's view differs per viewer; no reply is null for
 * everyone): an event is then rendered once only when it is.
 */
export const SameForEveryViewerWhenNull = (property: string) => Extensions({ [SAME_FOR_EVERY_VIEWER_WHEN_NULL]: property });

/** Marks a subscription whose events are messages as appended (see {@link SameForEveryViewerAsAppended}). */
export const EventsAsAppended = () => Extensions({ [EVENTS_AS_APPENDED]: true });
