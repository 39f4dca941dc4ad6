// The rest-hook endpoint for EHR subscription notifications (R4 backport):
// `POST /subscriptions/{ehr}/notify`. The shared-secret header is checked by a `before`
// handler that runs ahead of everything else (audit, authentication, the body parser): a
// request without the right secret gets a bare 401 and nothing is read, parsed or written.
// With it, the notification goes to the sync service's receiver.
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { OperationOutcomeError, methodNotAllowed, unauthorized, unavailable } from '../fhir/index.ts';
import { issue, outcome } from '../fhir/outcomes.ts';
import type { SubscriptionReceiver } from '../sync/subscription-receiver.ts';
import { presentedSecretMatches, type SubscriptionSecret } from '../sync/subscription-secrets.ts';
import { sendResource, type HttpModule } from './app.ts';

/** `/subscriptions/{ehr}/notify`, with the EHR connection name captured. */
export const NOTIFY_PATH = /^\/subscriptions\/([a-z0-9][a-z0-9-]{0,62})\/notify$/;

export function isNotifyPath(path: string): boolean {
  return path.startsWith('/subscriptions/');
}

/** Refuses every request under /subscriptions/ that does not carry its EHR's shared secret. */
export function subscriptionSecretGuard(secrets: ReadonlyMap<string, SubscriptionSecret>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!isNotifyPath(req.path)) {
      next();
      return;
    }
    const ehr = NOTIFY_PATH.exec(req.path)?.[1];
    const secret = ehr === undefined ? undefined : secrets.get(ehr);
    // The header named by that EHR's settings; an unknown EHR still costs one comparison.
    const presented = secret ? req.headers[secret.header] : undefined;
    if (!presentedSecretMatches(secret, presented)) {
      // Nothing about why: not which EHR names exist, not which header was expected.
      req.resume();
      res.setHeader('Connection', 'close');
      sendResource(res, 401, unauthorized('Unauthorized'));
      return;
    }
    res.locals.subscriptionSecretChecked = true;
    next();
  };
}

export function subscriptionModule(receiver: () => SubscriptionReceiver | undefined): HttpModule {
  const router = express.Router();
  router.post(NOTIFY_PATH, async (req: Request, res: Response) => {
    const ehr = NOTIFY_PATH.exec(req.path)?.[1] ?? '';
    const current = receiver();
    if (!current) {
      throw new OperationOutcomeError(unavailable('Subscription notifications are not being received now'));
    }
    const result = await current.receive(ehr, req.body);
    const text = `${result.type}: ${result.events} event(s), ${result.intake.applied} applied, ${result.intake.unchanged + result.intake.duplicates} already known, ${result.duplicates} duplicate event(s), ${result.ignored} ignored, ${result.missing} missing`;
    sendResource(res, 200, outcome('ok', [issue('information', 'informational', text)]));
  });
  router.all(NOTIFY_PATH, () => {
    throw new OperationOutcomeError(methodNotAllowed('Only POST is allowed on a subscription notification endpoint'));
  });
  return { router };
}
