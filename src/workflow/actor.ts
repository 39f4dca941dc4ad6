// Who is acting on a referral Task. SDOHCC TaskForReferralManagement "Status Management":
// statuses are set by the Requester, the Responder (the Task owner) or either; the
// coordination platform (this gateway, SDOHCC.md "Roles") acts on its own behalf when it
// mirrors downstream Tasks onto source Tasks.
import type { Task } from '@medplum/fhirtypes';
import { sameTarget } from './references.ts';

export type Actor =
  /** The gateway itself (sync engine, intermediary rules). Bound by the state machine, not by the who-rules. */
  | { kind: 'platform' }
  /**
   * An organisation acting through the FHIR or partner API: every reference that stands
   * for it (its Organization and the PractitionerRoles acting for it), relative or absolute.
   */
  | { kind: 'party'; references: readonly string[] };

export type ActorRole = 'requester' | 'owner';

export const PLATFORM: Actor = { kind: 'platform' };

export function party(...references: string[]): Actor {
  return { kind: 'party', references };
}

/** The roles the actor holds on this Task version (none, one, or both for a self-referral). */
export function rolesOf(task: Task, actor: Actor): Set<ActorRole> {
  const roles = new Set<ActorRole>();
  if (actor.kind !== 'party') {
    return roles;
  }
  if (actor.references.some((r) => sameTarget(r, task.requester?.reference))) {
    roles.add('requester');
  }
  if (actor.references.some((r) => sameTarget(r, task.owner?.reference))) {
    roles.add('owner');
  }
  return roles;
}

/** A short, PHI-free name for the actor in rule texts. */
export function describeActor(actor: Actor, roles: Set<ActorRole>): string {
  if (actor.kind === 'platform') {
    return 'the coordination platform';
  }
  if (roles.size === 0) {
    return 'an organisation that is neither requester nor owner';
  }
  return `the ${[...roles].join(' and ')}`;
}
