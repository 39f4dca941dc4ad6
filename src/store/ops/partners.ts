// Partners (community organisations and other API clients) and their credentials. Only
// hashes of API keys and public JWKS are stored, never a key itself.
import type { Credential, Partner } from '../store.ts';
import type { OpsContext } from './context.ts';

interface PartnerRow {
  id: string;
  tenant: string;
  name: string;
  organization: string;
  mapping: string;
  webhook_url: string | null;
  settings: string;
  created_at: string;
}

interface CredentialRow {
  id: string;
  partner_id: string;
  kind: Credential['kind'];
  secret_hash: string;
  lookup: string;
  scopes: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

const partnerColumns = 'id, tenant, name, organization, mapping, webhook_url, settings, created_at';
const credentialColumns = 'id, partner_id, kind, secret_hash, lookup, scopes, created_at, expires_at, revoked_at';

function toPartner(row: PartnerRow): Partner {
  const partner: Partner = {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    organization: row.organization,
    mapping: row.mapping,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
    createdAt: row.created_at,
  };
  if (row.webhook_url !== null) {
    partner.webhookUrl = row.webhook_url;
  }
  return partner;
}

function toCredential(row: CredentialRow): Credential {
  const credential: Credential = {
    id: row.id,
    partnerId: row.partner_id,
    kind: row.kind,
    secretHash: row.secret_hash,
    lookup: row.lookup,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: row.created_at,
  };
  if (row.expires_at !== null) {
    credential.expiresAt = row.expires_at;
  }
  if (row.revoked_at !== null) {
    credential.revokedAt = row.revoked_at;
  }
  return credential;
}

export function partnerOps(ctx: OpsContext) {
  return {
    async upsertPartner(partner: Partner): Promise<void> {
      await ctx.exec.run(
        `INSERT INTO partners (${partnerColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, name = excluded.name, organization = excluded.organization,
           mapping = excluded.mapping, webhook_url = excluded.webhook_url, settings = excluded.settings`,
        [
          partner.id,
          partner.tenant,
          partner.name,
          partner.organization,
          partner.mapping,
          partner.webhookUrl ?? null,
          JSON.stringify(partner.settings ?? {}),
          partner.createdAt,
        ],
      );
    },

    async getPartner(id: string): Promise<Partner | undefined> {
      const rows = await ctx.exec.all<PartnerRow>(`SELECT ${partnerColumns} FROM partners WHERE id = ?`, [id]);
      return rows[0] ? toPartner(rows[0]) : undefined;
    },

    async listPartners(): Promise<Partner[]> {
      const rows = await ctx.exec.all<PartnerRow>(`SELECT ${partnerColumns} FROM partners ORDER BY id`);
      return rows.map(toPartner);
    },

    async addCredential(credential: Credential): Promise<void> {
      await ctx.exec.run(`INSERT INTO credentials (${credentialColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        credential.id,
        credential.partnerId,
        credential.kind,
        credential.secretHash,
        credential.lookup,
        JSON.stringify(credential.scopes),
        credential.createdAt,
        credential.expiresAt ?? null,
        credential.revokedAt ?? null,
      ]);
    },

    async findCredentials(lookup: string): Promise<Credential[]> {
      const rows = await ctx.exec.all<CredentialRow>(`SELECT ${credentialColumns} FROM credentials WHERE lookup = ? ORDER BY id`, [lookup]);
      return rows.map(toCredential);
    },

    async listCredentials(partnerId: string): Promise<Credential[]> {
      const rows = await ctx.exec.all<CredentialRow>(`SELECT ${credentialColumns} FROM credentials WHERE partner_id = ? ORDER BY id`, [
        partnerId,
      ]);
      return rows.map(toCredential);
    },

    async revokeCredential(id: string, at: string): Promise<boolean> {
      const changed = await ctx.exec.run('UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [at, id]);
      return changed === 1;
    },
  };
}
