/**
 * The floor's database work: the same transaction as Payamak's send path
 * (payamak_append_message, modules/messages/message-log.ts), and nothing else.
 * Take the chat row's lock, the next seq and rev and a change stamp, insert
 * the message, commit.
 */
import type pg from 'pg';

export interface FloorMessage {
  id: string;
  chatId: string;
  seq: number;
  senderId: string;
  kind: 'TEXT';
  text: string;
  clientId: string;
  createdAt: string;
}

export async function floorSend(pool: pg.Pool, chatId: string, senderId: string, text: string, clientId: string): Promise<FloorMessage> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const locked = await client.query<{ lastSeq: number; rev: number }>(
      `UPDATE "Chat" SET "lastSeq" = "lastSeq" + 1, "rev" = "rev" + 1, "changeStamp" = pg_current_xact_id()::text::bigint, "updatedAt" = now()
       WHERE "id" = $1 RETURNING "lastSeq", "rev"`,
      [chatId],
    );
    const seq = locked.rows[0]?.lastSeq;
    const rev = locked.rows[0]?.rev;
    if (seq === undefined || rev === undefined) throw new Error(`no chat ${chatId}`);
    const inserted = await client.query<{ id: string; createdAt: Date }>(
      `INSERT INTO "Message" ("id", "chatId", "seq", "rev", "senderId", "kind", "text", "clientId", "createdAt")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, 'TEXT', $5, $6, now()) RETURNING "id", "createdAt"`,
      [chatId, seq, rev, senderId, text, clientId],
    );
    await client.query('COMMIT');
    const row = inserted.rows[0]!;
    return { id: row.id, chatId, seq, senderId, kind: 'TEXT', text, clientId, createdAt: row.createdAt.toISOString() };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
