/**
 * Test servers started and not closed yet, each with the test that started it. With `isolate: false` (see
 * vitest.config.ts) a test file's worker runs the next files too, so a server a file forgets keeps its
 * database connections, timers and jobs running under them; `leak-check.ts` fails the file that forgot it.
 */
export const openTestServers = new Map<object, string>();
