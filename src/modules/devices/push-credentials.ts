import { readFile } from 'node:fs/promises';
import type { PushEnv } from '../../config/env.js';
import { ApnsSender } from './apns.js';
import { FcmSender, type ServiceAccountKey } from './fcm.js';

/**
 * The native senders the environment configures, with their keys read from
 * disk once at boot (a missing or malformed file stops the start, naming it).
 * `ca` is TEST ONLY (see ApnsSenderOptions.ca).
 */
export async function loadNativeSenders(env: PushEnv, options: { ca?: string } = {}): Promise<{ APNS?: ApnsSender; FCM?: FcmSender }> {
  const senders: { APNS?: ApnsSender; FCM?: FcmSender } = {};
  if (env.apns) {
    const { keyFile, keyId, teamId, baseUrl, topic } = env.apns;
    const key = await readFile(keyFile, 'utf8').catch((error: unknown) => {
      throw new Error(`APNS_KEY_FILE ${keyFile} could not be read: ${(error as Error).message}`);
    });
    senders.APNS = new ApnsSender({ key, keyId, teamId, baseUrl, ...(topic ? { topic } : {}), ...(options.ca ? { ca: options.ca } : {}) });
  }
  if (env.fcm) {
    const { serviceAccountFile, baseUrl, tokenUrl } = env.fcm;
    let serviceAccount: ServiceAccountKey;
    try {
      serviceAccount = JSON.parse(await readFile(serviceAccountFile, 'utf8')) as ServiceAccountKey;
    } catch (error) {
      throw new Error(`FCM_SERVICE_ACCOUNT_FILE ${serviceAccountFile} could not be read as JSON: ${(error as Error).message}`);
    }
    for (const field of ['project_id', 'client_email', 'private_key'] as const) {
      if (typeof serviceAccount[field] !== 'string') throw new Error(`FCM_SERVICE_ACCOUNT_FILE ${serviceAccountFile} has no ${field}`);
    }
    senders.FCM = new FcmSender({ serviceAccount, baseUrl, ...(tokenUrl ? { tokenUrl } : {}) });
  }
  return senders;
}
