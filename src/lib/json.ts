/**
 * A record as it travels as JSON (pub/sub payloads): dates become ISO
 * strings, everything else stays, so a payload type is derived from its
 * record instead of declared a second time.
 */
export type Jsonify<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };
