// Runs an Express app on a loopback port for a test and captures its log lines.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type express from 'express';
import { createLogger, type Logger } from '../../src/logging/logger.ts';

export interface Running {
  url: string;
  close: () => Promise<void>;
}

export async function listen(app: express.Express): Promise<Running> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A logger whose output lines are kept in `lines`, to prove what is and is not logged. */
export function capturedLogger(level: 'info' | 'debug' = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger({ level, destination: sink }), lines };
}
