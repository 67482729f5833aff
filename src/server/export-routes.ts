import { Router } from 'express';
import type { Logger } from '../lib/logger.js';
import type { AccountService } from '../modules/account/index.js';

const REFUSALS = {
  403: 'Missing or invalid signature',
  404: 'Not found',
  410: 'This export link has expired: ask for a new one with requestDataExport',
  429: 'Too many downloads of your data: retry later',
} as const;

/**
 * `GET /exports/:userId` with the signed link requestDataExport gives: the
 * owner's data as a zip, streamed as it is read (no Content-Length). 403 for
 * a forged or altered link, 410 once it expired, 404 when the account is gone,
 * 429 past RATE_LIMIT_DATA_EXPORT's downloads.
 */
export function exportRoutes(account: AccountService, logger: Logger): Router {
  const router = Router();
  router.get('/exports/:userId', async (req, res) => {
    const opened = await account.openExport(String(req.params['userId']), req.query['exp'], req.query['sig']);
    res.setHeader('Cache-Control', 'no-store');
    if (opened.status !== 200) {
      if (opened.status === 429) res.setHeader('Retry-After', String(opened.retryAfterSeconds));
      res.status(opened.status).json({ error: REFUSALS[opened.status] });
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${opened.fileName}"`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    try {
      await opened.write(res);
    } catch (error) {
      // Headers went out with the first bytes: the client can only be told by a cut connection.
      if (!res.destroyed) logger.warn({ err: error }, 'data export interrupted');
      res.destroy();
    }
  });
  return router;
}
