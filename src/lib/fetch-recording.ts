// `?src=<url>`: a recording fetched from a server (a CI artifact, `hindsight
// serve`), with progress, and errors that say whether the network, the
// server's permissions (CORS) or the file was at fault.

/** Bytes a fetched recording may have (the largest file the app can hold). */
export const MAX_FETCHED_BYTES = 2 * 1024 * 1024 * 1024;

export interface FetchProgress {
  received: number;
  /** From Content-Length, when the server sends it. */
  total?: number;
}

/** The file name a URL names (its last path segment), or "recording.hsr". */
export function fileNameOf(url: URL): string {
  const last = decodeURIComponent(url.pathname.split('/').pop() ?? '');
  return last.replace(/[^\w.+-]/g, '_').slice(0, 100) || 'recording.hsr';
}

export async function fetchRecording(src: string, onProgress: (p: FetchProgress) => void, signal?: AbortSignal): Promise<{ name: string; bytes: Uint8Array }> {
  let url: URL;
  try {
    url = new URL(src, location.href);
  } catch {
    throw new Error(`The link's src is not a URL: ${JSON.stringify(src.slice(0, 200))}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`Recordings are fetched over http or https, not ${url.protocol.replace(/:$/, '')} (${url.href.slice(0, 200)}).`);
  let response: Response;
  try {
    response = await fetch(url, { signal, credentials: 'omit' });
  } catch (e) {
    if (signal?.aborted) throw new Error('The download was cancelled.');
    const sameOrigin = url.origin === location.origin;
    throw new Error(`Could not fetch ${url.href}: ${sameOrigin ? 'the server did not answer' : 'the server did not answer, or does not allow this page to read the file (it must send Access-Control-Allow-Origin)'} (${e instanceof Error ? e.message : String(e)}).`);
  }
  if (!response.ok) throw new Error(`Could not fetch ${url.href}: the server answered ${response.status} ${response.statusText}`.trim() + '.');
  // A static server with a single-page fallback answers a wrong address with a web page.
  if ((response.headers.get('content-type') ?? '').includes('text/html')) {
    throw new Error(`Could not fetch ${url.href}: the server answered with a web page, not a recording (is the address right?).`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  const total = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
  if (total !== undefined && total > MAX_FETCHED_BYTES) throw new Error(`${url.href} is ${total} bytes, more than the ${MAX_FETCHED_BYTES} a recording here may have.`);
  const name = fileNameOf(url);
  if (!response.body) return { name, bytes: new Uint8Array(await response.arrayBuffer()) };
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  onProgress({ received, ...(total !== undefined ? { total } : {}) });
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.length;
    if (received > MAX_FETCHED_BYTES) {
      await reader.cancel();
      throw new Error(`${url.href} is more than the ${MAX_FETCHED_BYTES} bytes a recording here may have.`);
    }
    parts.push(value);
    onProgress({ received, ...(total !== undefined ? { total } : {}) });
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  return { name, bytes };
}
