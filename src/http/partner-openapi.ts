// OpenAPI 3 description of the partner API (checked against the real routes in a test).
export function openApiDocument(baseUrl: string): Record<string, unknown> {
  const outcome = { description: 'An OperationOutcome naming the problem', content: { 'application/fhir+json': { schema: { $ref: '#/components/schemas/OperationOutcome' } } } };
  const partnerParam = { name: 'partner', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.0.3',
    info: { title: 'Social-care referral gateway: partner API', version: '1.0.0', description: 'Inbox and case updates for community organisations, in their own formats.' },
    servers: [{ url: baseUrl }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A partner API key' } },
      schemas: {
        OperationOutcome: { type: 'object', required: ['resourceType', 'issue'], properties: { resourceType: { type: 'string', enum: ['OperationOutcome'] }, issue: { type: 'array', items: { type: 'object' } } } },
        InboxPage: {
          type: 'object',
          properties: {
            referrals: { type: 'array', items: { type: 'object', description: 'A referral record in the partner format (mapping `referral`), or `{ taskId, outcome }` when it could not be mapped' } },
            next: { type: 'string', description: 'Cursor to pass as `since` for what changed later' },
          },
        },
        OriginationResult: {
          type: 'object',
          required: ['referralId', 'taskId', 'taskStatus', 'route', 'created'],
          properties: {
            referralId: { type: 'string', description: 'Your id of the referral' },
            taskId: { type: 'string', description: "The referral's Task id at the gateway" },
            taskStatus: { type: 'string', description: 'FHIR Task status: `requested` until the target answers' },
            route: { type: 'string', enum: ['inbox', 'ehr'], description: "Delivered to the target organisation's inbox, or to the clinic's EHR" },
            created: { type: 'boolean', description: 'False when this referralId had been received before (nothing written again)' },
          },
        },
        CarePlanResults: {
          type: 'object',
          properties: {
            results: {
              type: 'array',
              items: {
                type: 'object',
                required: ['index', 'status'],
                properties: {
                  index: { type: 'integer' },
                  planId: { type: 'string' },
                  status: { type: 'string', enum: ['applied', 'rejected'] },
                  carePlan: { type: 'object', properties: { id: { type: 'string' }, versionId: { type: 'string' } }, description: 'The CarePlan written (a new version on every post)' },
                  goals: {
                    type: 'array',
                    items: { type: 'object', properties: { id: { type: 'string' }, versionId: { type: 'string' }, changed: { type: 'boolean', description: 'A new Goal version was written (the goal changed)' } } },
                  },
                  referralIds: { type: 'array', items: { type: 'string' } },
                  outcome: { $ref: '#/components/schemas/OperationOutcome' },
                },
              },
            },
          },
        },
        UpdateResults: {
          type: 'object',
          properties: {
            results: {
              type: 'array',
              items: {
                type: 'object',
                required: ['index', 'status'],
                properties: { index: { type: 'integer' }, referralId: { type: 'string' }, status: { type: 'string', enum: ['applied', 'rejected'] }, taskStatus: { type: 'string' }, outcome: { $ref: '#/components/schemas/OperationOutcome' } },
              },
            },
          },
        },
      },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/partners/{partner}/referrals': {
        get: {
          summary: "The partner's inbox: referrals changed since a cursor",
          parameters: [
            partnerParam,
            { name: 'since', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } },
            {
              name: 'role',
              in: 'query',
              description: '`owner` (default): referrals offered to you; `requester`: referrals you originated, with the status their target gave them',
              schema: { type: 'string', enum: ['owner', 'requester'] },
            },
          ],
          responses: { '200': { description: 'A page of referrals', content: { 'application/json': { schema: { $ref: '#/components/schemas/InboxPage' } } } }, '400': outcome, '401': outcome, '404': outcome },
        },
        post: {
          summary: 'Originate a referral in your format (mapping `referral`) to another organisation or to a clinic',
          description:
            'The record of your inbox format, with `status` `new` and `assignedTo.id` naming the target (its Organization id at the gateway: a partner organisation, or a clinic an EHR routes). You are the requester; `referringPractitioner` may be left out. Under the consent gate the referral must carry `consent`. Its status comes back in `GET /partners/{partner}/referrals?role=requester` and, with a webhook URL, as `referral-status-changed` notifications. Sending the same referralId again changes nothing and answers 200.',
          parameters: [partnerParam],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
          responses: {
            '201': { description: 'Received and routed to the target', content: { 'application/json': { schema: { $ref: '#/components/schemas/OriginationResult' } } } },
            '200': { description: 'Received before', content: { 'application/json': { schema: { $ref: '#/components/schemas/OriginationResult' } } } },
            '400': outcome,
            '401': outcome,
            '404': outcome,
            '422': outcome,
          },
        },
      },
      '/partners/{partner}/care-plans': {
        post: {
          summary: 'Case-management care plans (mapping `care-plan`) as JSON: one record, an array, or `{ "carePlans": [...] }`',
          description:
            'Each record is stored as a CarePlan with its Goals, Conditions and care team, validated against the project CarePlan profile. `referralIds` (optional) names referrals of your inbox the plan contains: they become its activities, and the EHR that holds each referral receives the plan. Posting the same planId again writes a new CarePlan version; a goal whose progress or wording changed gets a new Goal version (its history shows each step).',
          parameters: [partnerParam],
          requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] } } } },
          responses: { '200': { description: 'One result per record', content: { 'application/json': { schema: { $ref: '#/components/schemas/CarePlanResults' } } } }, '400': outcome, '401': outcome, '404': outcome, '415': outcome },
        },
      },
      '/partners/{partner}/updates': {
        post: {
          summary: 'Case updates (mapping `case-update`) as JSON, or a CSV of them (mapping `referral-csv`)',
          parameters: [partnerParam],
          requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] } }, 'text/csv': { schema: { type: 'string' } } } },
          responses: { '200': { description: 'One result per record', content: { 'application/json': { schema: { $ref: '#/components/schemas/UpdateResults' } } } }, '400': outcome, '401': outcome, '404': outcome, '415': outcome },
        },
      },
    },
  };
}
