// Builds the gateway from its configuration: store, definitions, HTTP modules, schedules;
// listens; and stops everything in reverse order. In demo mode it also starts the bundled
// reference EHR (a real FHIR server) on loopback and seeds it with example referrals.
import { existsSync, mkdirSync } from 'node:fs';
import { OperationOutcomeError, badRequest } from './fhir/index.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from './config/config.ts';
import { demoEhrConnection, seedDemoPartners, startDemoEhr, type DemoEhr } from './demo.ts';
import { createConformance, type Conformance } from './conformance/index.ts';
import { createApp, type HttpModule } from './http/app.ts';
import { fhirModule } from './http/fhir-routes.ts';
import { securityLayer } from './http/auth-wiring.ts';
import { metricsModule, requestMetrics } from './http/metrics-routes.ts';
import { reportModule } from './http/report-routes.ts';
import { createGatewayMetrics } from './metrics/gateway-metrics.ts';
import { ANONYMOUS_TENANT } from './http/auth.ts';
import { validateModule } from './http/validate-routes.ts';
import { subscriptionModule, subscriptionSecretGuard } from './http/subscription-routes.ts';
import { subscriptionSecrets } from './sync/subscription-secrets.ts';
import { consoleModule } from './http/console-routes.ts';
import { adminConsoleModule } from './http/admin-console-routes.ts';
import { partnerModule } from './http/partner-routes.ts';
import { createMappingEngine, loadMappings } from './mapping/index.ts';
import { createCoordinator } from './coordination/coordinator.ts';
import { DEFAULT_PLATFORM_ORGANIZATION } from './coordination/platform.ts';
import type { Logger } from './logging/logger.ts';
import { FhirRest } from './rest/fhir-rest.ts';
import { loadSearchParameters, packageSearchParameters } from './search/definitions.ts';
import { createIndexer } from './search/indexer.ts';
import { openStore } from './store/open.ts';
import type { Store } from './store/store.ts';
import type { PlatformSettings } from './coordination/platform.ts';
import { startSyncService, type SyncService } from './sync/sync-service.ts';
import { outboxOptions } from './sync/sync-engine.ts';
import { assertEhrUrlsAllowed } from './sync/ehr-url-check.ts';
import { webhookDeliverer } from './coordination/webhooks.ts';
import packageJson from '../package.json' with { type: 'json' };

export interface Gateway {
  url: string;
  store: Store;
  conformance: Conformance;
  demoEhr?: DemoEhr;
  /** The FHIR interactions with the workflow hooks, and the platform they act for (sync, CLI). */
  rest: FhirRest;
  settings: PlatformSettings;
  /** EHR sync (scheduled polls, outbox worker) when EHRs are configured and schedules are on. */
  sync?: SyncService;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Start the EHR poll schedules and the outbox worker loop (default true); `gateway sync --once` turns them off. */
  schedules?: boolean;
}

export async function startGateway(config: GatewayConfig, logger: Logger, options: StartOptions = {}): Promise<Gateway> {
  // EHR URLs pass the outbound URL rule before anything starts (the demo EHR is the gateway's own).
  await assertEhrUrlsAllowed(config.ehrs, config.security.urlAllowList);
  mkdirSync(config.dataDir, { recursive: true });
  const conformance = await createConformance({ packagesDir: config.fhirPackagesDir, profilesDir: config.profilesDir });
  for (const problem of conformance.loadIssues) {
    logger.warn({ severity: problem.severity, problem: problem.details?.text }, 'definitions');
  }
  if (!existsSync(config.mappingsDir)) {
    throw new OperationOutcomeError(badRequest(`Invalid configuration: mappingsDir does not exist`, 'mappingsDir'));
  }
  const engine = createMappingEngine({
    mappings: await loadMappings([config.mappingsDir]),
    validator: (resource, profiles) => conformance.validate(resource, { profiles }),
  });
  const parameters = loadSearchParameters(packageSearchParameters(config.fhirPackagesDir));
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema, indexer: createIndexer(parameters) });
  logger.info({ store: store.kind }, 'store open');
  const closers: (() => Promise<void>)[] = [() => store.close()];
  // Read once at start; a missing or short secret stops start-up.
  const notificationSecrets = subscriptionSecrets(config.ehrs);
  try {
    const demo = config.demo === 'on' || (config.demo === 'auto' && config.ehrs.length === 0);
    let demoEhr: DemoEhr | undefined;
    if (demo) {
      demoEhr = await startDemoEhr(logger);
      closers.unshift(() => demoEhr!.close());
    }

    // Listen first so that the base URL carries the real port (port 0 picks a free one).
    const server = createServer();
    await listen(server, config.port, config.host);
    closers.unshift(() => closeServer(server));
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    const baseUrl = config.publicBaseUrl ?? `${url}/`;
    // Organisations an EHR routes are clinics an organisation can refer to (through that EHR's outbox).
    const clinics = config.ehrs.flatMap((ehr) => ehr.organizations.map((organization) => ({ organization, ehr: ehr.name })));
    const settings = { baseUrl, organization: { reference: DEFAULT_PLATFORM_ORGANIZATION }, tenant: ANONYMOUS_TENANT, requiresConsent: true, clinics };
    const hooks = createCoordinator({ settings });
    const rest = new FhirRest({ store, parameters, validate: (resource) => conformance.validate(resource), hooks });
    const security = securityLayer({ config, store, logger, baseUrl, demo });
    const metrics = createGatewayMetrics({ store, isResourceType: (t) => conformance.definitions.typeDefinition(t)?.kind === 'resource' });
    const reporting: HttpModule[] = [metricsModule(metrics), reportModule({ store, baseUrl })];
    const modules: HttpModule[] = [...security.modules, validateModule({ conformance }), partnerModule({ store, rest, engine, settings }), fhirModule({ rest, store, parameters, baseUrl })];
    const app = createApp({
      logger,
      limits: config.limits,
      baseUrl,
      version: packageJson.version,
      readiness: [
        { name: 'store', check: () => store.ping() },
        { name: 'definitions', check: async () => requireDefinition(conformance) },
      ],
      modules: [
        ...reporting,
        subscriptionModule(() => sync?.subscriptions),
        consoleModule(),
        adminConsoleModule({ store, conformance, engine, settings, ehrs: () => (demoEhr ? [demoEhrConnection(demoEhr)] : config.ehrs), sync: () => sync }),
        ...modules,
      ],
      // The subscription secret is checked ahead of everything but the request counter: audit, authentication, the body parser.
      before: [requestMetrics(metrics), subscriptionSecretGuard(notificationSecrets), ...security.before],
    });
    server.on('request', app);
    logger.info({ url }, 'gateway listening');
    let sync: SyncService | undefined;
    if (options.schedules !== false) {
      // The outbox worker runs even without EHRs: partner webhooks go through it too.
      const webhooks = webhookDeliverer({ store, engine, settings, urlAllowList: config.security.urlAllowList });
      const ehrs = demoEhr ? [demoEhrConnection(demoEhr)] : config.ehrs;
      sync = startSyncService({ store, rest, settings, ehrs, logger, metricsRegistry: metrics.registry, ...outboxOptions(config.outbox), extraDeliverers: new Map([['webhook:*', webhooks]]) });
      closers.unshift(() => sync!.stop());
    }
    if (demoEhr) {
      // Demo: two community organisations with fresh keys, and one sync cycle now so the
      // EHR's requested referrals reach their inboxes without waiting for the schedule.
      demoEhr.partners = await seedDemoPartners(store);
      const running = sync;
      void running?.engine.runOnce().catch((error: unknown) => logger.warn({ err: error }, 'demo sync failed'));
      logger.info(
        { mode: 'demo', ehr: demoEhr.baseUrl, try: [`${url}/healthz`, `${url}/readyz`, `${url}/metadata`, `${demoEhr.baseUrl}Task?status=requested`, `${url}/console/ (with GATEWAY_ADMIN_TOKEN set)`] },
        'demo mode: no EHR configured, the bundled reference EHR is running with example referrals',
      );
    }
    let closed = false;
    return {
      url,
      store,
      conformance,
      demoEhr,
      rest,
      settings,
      sync,
      close: async () => {
        if (closed) {
          return;
        }
        closed = true;
        for (const close of closers) {
          await close();
        }
      },
    };
  } catch (error) {
    for (const close of closers) {
      await close().catch(() => undefined);
    }
    throw error;
  }
}

function requireDefinition(conformance: Conformance): void {
  if (!conformance.definitions.typeDefinition('Task')) {
    throw new Error('R4 base definitions are not loaded');
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen(port, host);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  });
}
