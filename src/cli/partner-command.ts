// `gateway partner add|list|key|jwks|revoke`: manage partners and their credentials directly in
// the store (bootstrap without the admin API). An API key is printed once and stored only as a
// hash. Exit 0 on success, 1 when the store refuses, 2 on usage errors.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { programCommand, runDefined, type CliIo } from './command-runner.ts';
import { loadConfig } from '../config/load.ts';
import { firstText, normalize } from '../fhir/index.ts';
import { newApiKey } from '../security/api-keys.ts';
import { parseScopes } from '../security/scopes.ts';
import { openStore } from '../store/open.ts';
import type { Credential, Store } from '../store/store.ts';

export type { CliIo };

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

class UsageError extends Error {}

interface StoreOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
  schema?: string;
}

function storeOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'SQLite data directory')
    .option('--database-url <url>', 'PostgreSQL URL')
    .option('--schema <name>', 'PostgreSQL schema');
}

async function withStore(options: StoreOptions, fn: (store: Store) => Promise<void>): Promise<void> {
  const config = loadConfig({ file: options.config });
  const store = await openStore({
    databaseUrl: options.databaseUrl ?? (options.dataDir ? undefined : config.databaseUrl),
    dataDir: options.dataDir ?? config.dataDir,
    schema: options.schema ?? config.databaseSchema,
  });
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

function scopesOf(list: string[]): string[] {
  if (list.length === 0 || parseScopes(list).length !== list.length) {
    throw new UsageError('--scope must name SMART v2 system scopes, e.g. --scope system/Task.rs');
  }
  return list;
}

function define(root: Command, io: CliIo, result: { code: number }): Command {
  const run = (fn: () => Promise<void>) => async () => {
    try {
      await fn();
      result.code = 0;
    } catch (error) {
      io.stderr(`gateway partner: ${error instanceof UsageError ? error.message : firstText(normalize(error))}\n`);
      result.code = error instanceof UsageError ? 2 : 1;
    }
  };
  const collect = (v: string, all: string[]) => [...all, v];
  root.description('Partners (community organisations) and their credentials');

  storeOptions(root.command('add').argument('<id>').requiredOption('--name <name>').requiredOption('--organization <reference>').option('--mapping <name>', 'mapping the partner speaks', 'referral').option('--tenant <tenant>').option('--webhook-url <url>'))
    .description('create or update a partner')
    .action((id: string, o: StoreOptions & { name: string; organization: string; mapping: string; tenant?: string; webhookUrl?: string }) =>
      run(async () => {
        if (!ID.test(id) || (o.tenant !== undefined && !ID.test(o.tenant))) throw new UsageError('ids and tenants are lower-case letters, digits and dashes');
        if (!/^Organization\/[A-Za-z0-9\-.]{1,64}$/.test(o.organization)) throw new UsageError('--organization must be like Organization/food-bank');
        await withStore(o, async (store) => {
          const existing = await store.getPartner(id);
          await store.upsertPartner({
            id,
            tenant: o.tenant ?? existing?.tenant ?? id,
            name: o.name,
            organization: o.organization,
            mapping: o.mapping,
            settings: existing?.settings ?? {},
            createdAt: existing?.createdAt ?? new Date().toISOString(),
            ...(o.webhookUrl ? { webhookUrl: o.webhookUrl } : {}),
          });
          io.stdout(`partner ${id} ${existing ? 'updated' : 'created'} (tenant ${o.tenant ?? existing?.tenant ?? id})\n`);
        });
      })());

  storeOptions(root.command('list'))
    .description('list partners and their credentials (never secrets)')
    .action((o: StoreOptions) =>
      run(() =>
        withStore(o, async (store) => {
          for (const partner of await store.listPartners()) {
            io.stdout(`${partner.id}\ttenant=${partner.tenant}\t${partner.organization}\n`);
            for (const c of await store.listCredentials(partner.id)) {
              io.stdout(`  ${c.id}\t${c.kind}\t${c.lookup}\t${c.scopes.join(' ')}${c.revokedAt ? '\trevoked' : ''}\n`);
            }
          }
        }),
      )());

  storeOptions(root.command('key').argument('<partner>').option('--scope <scope>', 'SMART scope (repeatable)', collect, [] as string[]))
    .description('issue an API key (printed once)')
    .action((partnerId: string, o: StoreOptions & { scope: string[] }) =>
      run(async () => {
        const scopes = scopesOf(o.scope);
        await withStore(o, async (store) => {
          if (!(await store.getPartner(partnerId))) throw new UsageError(`no partner ${partnerId}`);
          const key = newApiKey();
          const credential: Credential = { id: randomUUID(), partnerId, kind: 'api-key', secretHash: key.secretHash, lookup: key.lookup, scopes, createdAt: new Date().toISOString() };
          await store.addCredential(credential);
          io.stdout(`credential ${credential.id}\nkey (shown once): ${key.key}\n`);
        });
      })());

  storeOptions(root.command('jwks').argument('<partner>').requiredOption('--client-id <id>').requiredOption('--jwks-file <file>').option('--scope <scope>', 'SMART scope (repeatable)', collect, [] as string[]))
    .description('register a SMART Backend Services client with its public JWKS')
    .action((partnerId: string, o: StoreOptions & { clientId: string; jwksFile: string; scope: string[] }) =>
      run(async () => {
        const scopes = scopesOf(o.scope);
        const jwks = JSON.parse(await readFile(o.jwksFile, 'utf8')) as { keys?: Record<string, unknown>[] };
        if (!Array.isArray(jwks.keys) || jwks.keys.length === 0 || jwks.keys.some((k) => typeof k.kid !== 'string' || 'd' in k || 'k' in k)) {
          throw new UsageError('the JWKS file must hold public keys, each with a kid');
        }
        await withStore(o, async (store) => {
          if (!(await store.getPartner(partnerId))) throw new UsageError(`no partner ${partnerId}`);
          const credential: Credential = { id: randomUUID(), partnerId, kind: 'jwks', secretHash: JSON.stringify(jwks), lookup: o.clientId, scopes, createdAt: new Date().toISOString() };
          await store.addCredential(credential);
          io.stdout(`credential ${credential.id} for client ${o.clientId}\n`);
        });
      })());

  storeOptions(root.command('revoke').argument('<credential>'))
    .description('revoke a credential (rotation: issue a new one, then revoke the old)')
    .action((credentialId: string, o: StoreOptions) =>
      run(() =>
        withStore(o, async (store) => {
          if (!(await store.revokeCredential(credentialId, new Date().toISOString()))) throw new UsageError('no such credential');
          io.stdout(`credential ${credentialId} revoked\n`);
        }),
      )());
  return root;
}

export function runPartner(argv: string[], io: CliIo): Promise<number> {
  return runDefined('partner', define, argv, io);
}

/** The commander wrapper for the `gateway` program; sets process.exitCode. */
export function partnerCommand(): Command {
  return programCommand('partner', define);
}
