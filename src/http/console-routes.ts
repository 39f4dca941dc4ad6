// The operations console's static files (console/ at the project root), served at /console
// without credentials: the shell holds no data; every data call it makes goes to /admin/...
// with the admin token. Files are read once at start-up into memory, so no request path
// ever reaches the file system. Every answer carries a strict Content-Security-Policy: scripts
// and styles only from this origin, no inline code, no framing, no form posts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { OperationOutcomeError, methodNotAllowed, notFound } from '../fhir/index.ts';
import type { HttpModule } from './app.ts';

export const CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'console');

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface StaticFile {
  type: string;
  body: Buffer;
}

/** Every servable file under `dir`, by its URL path below /console/ (e.g. `js/app.js`). */
export function loadConsoleFiles(dir: string = CONSOLE_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (folder: string, prefix: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const full = path.join(folder, name);
      if (statSync(full).isDirectory()) {
        walk(full, `${prefix}${name}/`);
        continue;
      }
      const type = TYPES[path.extname(name)];
      if (type) files.set(`${prefix}${name}`, { type, body: readFileSync(full) });
    }
  };
  walk(dir, '');
  return files;
}

function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cache-Control', 'no-cache');
  next();
}

export function consoleRoutes(options: { dir?: string } = {}): Router {
  const files = loadConsoleFiles(options.dir);
  const router = express.Router();
  router.use(['/console', '/console/*rest'], securityHeaders);
  router.get(['/console', '/console/*rest'], (req, res) => {
    // Non-strict routing lets `/console` match `/console/` too: only the bare path redirects.
    if (req.path === '/console') {
      res.redirect(302, '/console/');
      return;
    }
    const rel = req.path === '/console/' ? 'index.html' : req.path.slice('/console/'.length);
    const file = files.get(rel);
    if (!file) throw new OperationOutcomeError(notFound('No such console file'));
    res.status(200).type(file.type).send(file.body);
  });
  router.all(['/console', '/console/*rest'], () => {
    throw new OperationOutcomeError(methodNotAllowed('Only GET is allowed on the console'));
  });
  return router;
}

export function consoleModule(options: { dir?: string } = {}): HttpModule {
  return { router: consoleRoutes(options) };
}
