import { Extensions } from 'type-graphql';

/** The field extension {@link SameForEveryViewer} sets (read by server/shared-subscriptions.ts). */
export const SAME_FOR_EVERY_VIEWER = 'sameForEveryViewer';

/**
 * Marks an event field whose value is a plain property of the published
 * payload, the same for every member who receives the event, whoever they
 * are. A subscription that selects only such fields is rendered once per
 * event for all its subscribers. Anything that depends on the viewer (a
 * message's status, its sender, a signed URL) must not carry it.
 */
export const SameForEveryViewer = () => Extensions({ [SAME_FOR_EVERY_VIEWER]: true });
