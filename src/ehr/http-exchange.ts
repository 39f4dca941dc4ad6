// One HTTP attempt against an EHR or its token endpoint: a deadline covering headers and
// body, redirects never followed, and the body read as a stream and abandoned past a size cap.

export interface ExchangeRequest {
  method: 'GET' | 'POST' | 'PUT';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal;
}

export type ExchangeResult =
  | { kind: 'response'; status: number; headers: Headers; text: string }
  | { kind: 'redirect'; status: number }
  | { kind: 'too-large'; status: number }
  | { kind: 'timeout' }
  | { kind: 'network' }
  | { kind: 'aborted' };

export async function exchange(request: ExchangeRequest): Promise<ExchangeResult> {
  const deadline = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      // Redirects would carry the request (and its token) wherever the EHR points: never follow.
      redirect: 'manual',
      signal,
    });
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel();
      return { kind: 'redirect', status: response.status };
    }
    const text = await readCapped(response, request.maxBytes);
    if (text === undefined) {
      return { kind: 'too-large', status: response.status };
    }
    return { kind: 'response', status: response.status, headers: response.headers, text };
  } catch {
    if (request.signal?.aborted) {
      return { kind: 'aborted' };
    }
    return deadline.aborted ? { kind: 'timeout' } : { kind: 'network' };
  }
}

/** The body as UTF-8 text, or undefined when it is (or announces itself) larger than `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  const announced = Number.parseInt(response.headers.get('content-length') ?? '', 10);
  if (Number.isFinite(announced) && announced > maxBytes) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) {
    return '';
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}
