// Applies ../security/echo-scrub.ts to every error answer (4xx/5xx OperationOutcome) just
// before it leaves, whichever module produced it.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { scrubOutcome, suppliedValues } from '../security/echo-scrub.ts';

const MAX_SCRUBBED_BODY = 1024 * 1024;

export function echoGuard(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      const [chunk, ...rest] = args;
      if (res.statusCode < 400 || res.headersSent) return end(...args);
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
      if (text === undefined || text.length > MAX_SCRUBBED_BODY || !text.startsWith('{"resourceType":"OperationOutcome"')) return end(...args);
      let outcome: OperationOutcome;
      try {
        outcome = JSON.parse(text) as OperationOutcome;
      } catch {
        return end(...args);
      }
      const url = new URL(req.originalUrl, 'http://localhost');
      const values = suppliedValues({
        body: req.body,
        query: url.searchParams,
        pathSegments: url.pathname.split('/').slice(2).map(safeDecode),
        headers: [req.get('if-none-exist'), req.get('if-match')],
      });
      const scrubbed = JSON.stringify(scrubOutcome(outcome, values));
      if (scrubbed === text) return end(...args);
      res.setHeader('Content-Length', Buffer.byteLength(scrubbed));
      return end(scrubbed, ...rest.filter((a) => typeof a === 'function'));
    }) as Response['end'];
    next();
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
