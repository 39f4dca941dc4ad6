// `gateway serve`: start the HTTP server (and the demo EHR when no EHR is configured).
import { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../logging/logger.ts';
import { startGateway, type Gateway } from '../main.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('start the gateway HTTP server')
    .option('-c, --config <file>', 'configuration file (default: ./gateway.config.yaml when present)')
    .option('-p, --port <port>', 'port to listen on (overrides PORT)')
    .action(async (options: { config?: string; port?: string }) => {
      const env = { ...process.env, ...(options.port ? { PORT: options.port } : {}) };
      const config = loadConfig({ file: options.config, env });
      const logger = createLogger({ level: config.logLevel });
      const gateway = await startGateway(config, logger);
      process.stdout.write(banner(gateway));
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'shutting down');
          gateway.close().then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      logger.info('stopped');
    });
}

function banner(gateway: Gateway): string {
  const lines = [
    '',
    `Gateway listening on ${gateway.url} (store: ${gateway.store.kind})`,
    `  health        ${gateway.url}/healthz`,
    `  readiness     ${gateway.url}/readyz`,
    `  capabilities  ${gateway.url}/metadata`,
    `  referrals     ${gateway.url}/Task?_include=Task:focus`,
  ];
  if (gateway.demoEhr) {
    lines.push(
      '',
      'Demo mode: no EHR is configured, so the bundled reference EHR runs on loopback with example referrals.',
      `  demo EHR      ${gateway.demoEhr.baseUrl}Task?status=requested`,
    );
    for (const partner of gateway.demoEhr.partners ?? []) {
      lines.push(`  ${partner.id.padEnd(12)}  curl -H 'Authorization: Bearer ${partner.key}' ${gateway.url}/partners/${partner.id}/referrals`);
    }
  }
  lines.push('', 'Press Ctrl-C to stop.', '');
  return lines.join('\n');
}
