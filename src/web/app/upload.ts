// fetch() cannot report upload progress; XMLHttpRequest can. The upload link calls this with the
// operation's fetchOptions, so a mutation passes its progress callback through its context:
//   mutate({ ..., context: { fetchOptions: { onUploadProgress: (fraction) => … } } })

export interface UploadFetchOptions extends RequestInit {
  onUploadProgress?: (fraction: number) => void;
}

export function xhrFetch(input: RequestInfo | URL, init: UploadFetchOptions = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(init.method ?? 'POST', String(input));
    for (const [name, value] of new Headers(init.headers)) xhr.setRequestHeader(name, value);
    const progress = init.onUploadProgress;
    if (progress) xhr.upload.addEventListener('progress', (event) => event.lengthComputable && progress(event.loaded / event.total));
    xhr.addEventListener('load', () => {
      const headers = new Headers();
      for (const line of xhr.getAllResponseHeaders().trim().split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      resolve(new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText, headers }));
    });
    xhr.addEventListener('error', () => reject(new TypeError('Network request failed')));
    xhr.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError')));
    init.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send((init.body as XMLHttpRequestBodyInit | null | undefined) ?? null);
  });
}

/** A UUID for clientId; crypto.randomUUID exists only in secure contexts (https, localhost). */
export function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
