import { afterAll } from 'vitest';
import { openTestServers } from './open-servers.js';

// Runs after each test file's own afterAll hooks (setup files' hooks are registered first, so they run last).
afterAll(() => {
  const open = [...openTestServers.values()];
  openTestServers.clear();
  if (open.length > 0) throw new Error(`test servers left running (close them in the file): ${open.join('; ')}`);
});
