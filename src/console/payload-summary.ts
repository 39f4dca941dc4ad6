// What an operator may see of an outbox payload: the resource it points at and the tenant,
// as technical ids, and the names of any other fields with their JSON types; never values
// that could carry a person's data (STYLE.md: no PHI in what the gateway shows or logs). Pure.

export interface PayloadSummary {
  /** `Type/id` when the payload names a resource by technical id. */
  resource?: string;
  tenant?: string;
  /** Other top-level fields: name -> JSON type. */
  fields: Record<string, string>;
}

const TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TENANT = /^[a-z0-9][a-z0-9-]{0,62}$/;
const FIELD = /^[A-Za-z][A-Za-z0-9_]{0,40}$/;

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function summarizePayload(payload: unknown): PayloadSummary {
  const summary: PayloadSummary = { fields: {} };
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    summary.fields.$ = jsonType(payload);
    return summary;
  }
  const record = payload as Record<string, unknown>;
  const type = typeof record.resourceType === 'string' && TYPE.test(record.resourceType) ? record.resourceType : undefined;
  const id = typeof record.id === 'string' && ID.test(record.id) ? record.id : undefined;
  const taskId = typeof record.taskId === 'string' && ID.test(record.taskId) ? record.taskId : undefined;
  if (type && id) summary.resource = `${type}/${id}`;
  else if (taskId) summary.resource = `Task/${taskId}`;
  if (typeof record.tenant === 'string' && TENANT.test(record.tenant)) summary.tenant = record.tenant;
  const shown = new Set(['resourceType', 'id', 'taskId', 'tenant']);
  let other = 0;
  for (const [key, value] of Object.entries(record)) {
    if (shown.has(key)) continue;
    if (FIELD.test(key) && Object.keys(summary.fields).length < 20) summary.fields[key] = jsonType(value);
    else other += 1;
  }
  if (other > 0) summary.fields['(other fields)'] = String(other);
  return summary;
}
