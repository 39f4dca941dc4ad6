// Runs one logical call against an EHR (or its token endpoint): attempts with a deadline each,
// retries with backoff and jitter, Retry-After honoured, a bearer token attached only for the
// target's own origin and renewed once on 401. Anything but a 2xx ends as an OperationOutcomeError.
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { EhrConfig } from './config.ts';
import { ehrFailure, type EhrFailureCause, type EhrOperation } from './failures.ts';
import { exchange } from './http-exchange.ts';
import { backoffDelayMs, isRetryableStatus, retryAfterMs, type RetryMode } from './retry-policy.ts';

export interface TokenProvider {
  /** A valid access token, renewed ahead of expiry. */
  token(signal?: AbortSignal): Promise<string>;
  /** Drops `token` from the cache (the EHR refused it). */
  invalidate(token: string): void;
}

export interface CallTarget {
  /** The only origin requests of this target may go to; anything else is refused unsent. */
  origin: string;
  tokens?: TokenProvider;
}

/** Clock, randomness and waiting, replaceable in tests. */
export interface CallDeps {
  now(): number;
  random(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Called after every exchange with the EHR (status 0 when no HTTP answer came), e.g. to write
   * an AuditEvent per outbound call; a failure here fails the call, so nothing goes unaudited.
   */
  onExchange?(method: string, url: string, status: number): Promise<void>;
}

export const realCallDeps: CallDeps = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: async (ms, signal) => {
    await sleepFor(ms, undefined, { signal });
  },
};

export interface Call {
  operation: EhrOperation;
  method: 'GET' | 'POST' | 'PUT';
  url: URL;
  headers?: Record<string, string>;
  /** A function is called for every attempt (e.g. a fresh client assertion each time). */
  body?: string | (() => Promise<string>);
  mode: RetryMode;
  signal?: AbortSignal;
}

export interface CallResponse {
  status: number;
  headers: Headers;
  text: string;
  attempts: number;
}

type Limits = Pick<EhrConfig, 'timeoutMs' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'maxRetryAfterMs' | 'maxResponseBytes'>;

export async function executeCall(limits: Limits, target: CallTarget, deps: CallDeps, call: Call): Promise<CallResponse> {
  if (call.url.origin !== target.origin) {
    // RELIABILITY.md: never send a request, let alone a token, off the EHR's origin.
    throw ehrFailure(call.operation, { kind: 'foreign-link' });
  }
  let renewedToken = false;
  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = { ...call.headers };
    const token = target.tokens ? await target.tokens.token(call.signal) : undefined;
    if (token) {
      headers['authorization'] = `Bearer ${token}`;
    }
    const body = typeof call.body === 'function' ? await call.body() : call.body;
    const result = await exchange({
      method: call.method,
      url: call.url,
      headers,
      body,
      timeoutMs: limits.timeoutMs,
      maxBytes: limits.maxResponseBytes,
      signal: call.signal,
    });
    await deps.onExchange?.(call.method, String(call.url), 'status' in result ? result.status : 0);
    let failure: EhrFailureCause;
    let wait = backoffDelayMs(attempt, limits.backoffBaseMs, limits.backoffMaxMs, deps.random);
    switch (result.kind) {
      case 'response': {
        if (result.status >= 200 && result.status < 300) {
          return { status: result.status, headers: result.headers, text: result.text, attempts: attempt };
        }
        if (result.status === 401 && token && target.tokens && !renewedToken) {
          // RFC 6750 §3.1 invalid_token: the token may have been revoked or expired early; renew once.
          renewedToken = true;
          target.tokens.invalidate(token);
          attempt--;
          continue;
        }
        failure = { kind: 'status', status: result.status, attempts: attempt, ehrOutcome: parseQuietly(result.text) };
        if (!isRetryableStatus(result.status, call.mode)) {
          throw ehrFailure(call.operation, failure);
        }
        const asked = retryAfterMs(result.headers.get('retry-after'), deps.now(), result.headers.get('date'));
        if (asked !== undefined && asked > limits.maxRetryAfterMs) {
          throw ehrFailure(call.operation, { kind: 'retry-after-too-long', status: result.status, attempts: attempt });
        }
        // RFC 9110 §10.2.3 / RFC 6585 §4: never before the server's Retry-After.
        wait = Math.max(wait, asked ?? 0);
        break;
      }
      case 'timeout':
      case 'network':
        failure = { kind: result.kind, attempts: attempt };
        if (call.mode === 'unsafe') {
          throw ehrFailure(call.operation, failure);
        }
        break;
      case 'redirect':
      case 'too-large':
        throw ehrFailure(call.operation, result.kind === 'redirect' ? { kind: 'redirect', status: result.status } : { kind: 'too-large', status: result.status, limit: limits.maxResponseBytes });
      case 'aborted':
        throw ehrFailure(call.operation, { kind: 'aborted' });
    }
    if (attempt >= limits.maxAttempts) {
      throw ehrFailure(call.operation, failure);
    }
    try {
      await deps.sleep(wait, call.signal);
    } catch {
      throw ehrFailure(call.operation, { kind: 'aborted' });
    }
  }
}

function parseQuietly(text: string): unknown {
  if (text.length > 1_000_000) {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
