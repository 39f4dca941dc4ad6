// GET /metrics in the Prometheus text exposition format (version 0.0.4), and the middleware
// that times every request for it. The middleware runs first, so requests refused by
// authentication or the body parser are counted too.
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { OperationOutcomeError, methodNotAllowed } from '../fhir/index.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import type { HttpModule } from './app.ts';

export function requestMetrics(metrics: GatewayMetrics): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      metrics.observeRequest(req.method, req.originalUrl, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

export function metricsRoutes(metrics: GatewayMetrics): Router {
  const router = express.Router();
  router.get('/metrics', async (_req: Request, res: Response) => {
    const text = await metrics.registry.metrics();
    res.status(200).type(metrics.registry.contentType).send(text);
  });
  router.all('/metrics', () => {
    throw new OperationOutcomeError(methodNotAllowed('Only GET is allowed on /metrics'));
  });
  return router;
}

export function metricsModule(metrics: GatewayMetrics): HttpModule {
  return { router: metricsRoutes(metrics) };
}
