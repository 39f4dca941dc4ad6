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
          parameters: [partnerParam, { name: 'since', in: 'query', schema: { type: 'string' } }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500 } }],
          responses: { '200': { description: 'A page of referrals', content: { 'application/json': { schema: { $ref: '#/components/schemas/InboxPage' } } } }, '400': outcome, '401': outcome, '404': outcome },
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
