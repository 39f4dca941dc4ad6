// Request bodies: FHIR R4 http.html#mime-type. JSON arrives as application/fhir+json or
// application/json (both parsed; Express' own parser would silently skip the first), forms as
// application/x-www-form-urlencoded (POST _search, token requests), CSV as text/csv. Anything
// else is 415. Bodies are capped after decompression (413), must be valid UTF-8 (400) and pass
// the strict JSON rules in strict-json.ts. No message ever echoes the body.
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { NextFunction, Request, Response } from 'express';
import { OperationOutcomeError, badRequest, payloadTooLarge, structureError, unsupportedMediaType } from '../fhir/index.ts';
import { parseStrictJson } from './strict-json.ts';

export interface BodyLimits {
  bodyBytes: number;
  jsonDepth: number;
}

export type BodyKind = 'json' | 'form' | 'csv';

const MEDIA_TYPES: Record<string, BodyKind> = {
  'application/fhir+json': 'json',
  'application/json': 'json',
  'application/json-patch+json': 'json',
  'application/x-www-form-urlencoded': 'form',
  'text/csv': 'csv',
};

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Express middleware that reads, checks and parses the body into `req.body`. */
export function bodyParser(limits: BodyLimits) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!hasBody(req)) {
      req.body = undefined;
      next();
      return;
    }
    const kind = mediaKind(req.headers['content-type']);
    const text = await readText(req, limits.bodyBytes);
    res.locals.bodyText = text;
    res.locals.bodyKind = kind;
    if (kind === 'json') {
      if (text.trim() === '') {
        throw new OperationOutcomeError(structureError('Invalid JSON: the body is empty'));
      }
      req.body = parseStrictJson(text, limits.jsonDepth);
    } else if (kind === 'form') {
      req.body = Object.fromEntries(new URLSearchParams(text));
    } else {
      req.body = text;
    }
    next();
  };
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined) {
    return true;
  }
  return length !== undefined && length !== '0';
}

export function mediaKind(contentType: string | undefined): BodyKind {
  if (!contentType) {
    throw new OperationOutcomeError(unsupportedMediaType('A request body needs a Content-Type: application/fhir+json or application/json'));
  }
  const [type, ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const kind = MEDIA_TYPES[type];
  if (!kind) {
    throw new OperationOutcomeError(unsupportedMediaType(`Unsupported Content-Type '${type.slice(0, 80)}': use application/fhir+json or application/json`));
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replaceAll('"', '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new OperationOutcomeError(unsupportedMediaType('Only the UTF-8 charset is accepted'));
  }
  return kind;
}

function decoderFor(encoding: string | undefined, req: Request): Readable {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
      return req;
    case 'gzip':
    case 'x-gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      throw new OperationOutcomeError(unsupportedMediaType('Unsupported Content-Encoding: use gzip, deflate, br or none'));
  }
}

/** Reads at most `limit` bytes (after decompression) and decodes them as strict UTF-8. */
export async function readText(req: Request, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  const encoded = req.headers['content-encoding'];
  if (!encoded && Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const stream = decoderFor(encoded, req);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        if (stream !== req) {
          stream.destroy();
        }
        req.resume();
        throw tooLarge(limit);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof OperationOutcomeError) {
      throw error;
    }
    throw new OperationOutcomeError(badRequest('The request body could not be read or decompressed'));
  }
  try {
    return utf8.decode(Buffer.concat(chunks, size));
  } catch {
    throw new OperationOutcomeError(structureError('The request body is not valid UTF-8'));
  }
}

function tooLarge(limit: number): OperationOutcomeError {
  return new OperationOutcomeError(payloadTooLarge(`The request body is larger than the limit of ${limit} bytes`));
}
