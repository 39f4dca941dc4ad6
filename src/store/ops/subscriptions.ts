// FHIR Subscriptions (R4 backport) bookkeeping: per subscription channel, the event numbers
// taken in, how far every number is accounted for, and when the EHR was last heard from.
import type { SubscriptionChannelState } from '../store.ts';
import { iso, type OpsContext } from './context.ts';

interface ChannelRow {
  channel: string;
  ehr: string;
  covered: number | string;
  highest: number | string;
  last_seen_at: number | string;
}

/** Event numbers kept below the covered mark, to recognise late duplicates without a read. */
export const EVENTS_KEPT_BELOW_COVERED = 10_000;

export function subscriptionOps(ctx: OpsContext) {
  async function readChannel(channel: string): Promise<SubscriptionChannelState | undefined> {
    const rows = await ctx.exec.all<ChannelRow>('SELECT channel, ehr, covered, highest, last_seen_at FROM subscription_channels WHERE channel = ?', [channel]);
    const row = rows[0];
    if (!row) {
      return undefined;
    }
    const covered = Number(row.covered);
    const counted = await ctx.exec.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM subscription_events WHERE channel = ? AND event_number > ?', [channel, covered]);
    return {
      channel: row.channel,
      ehr: row.ehr,
      covered,
      highest: Number(row.highest),
      recordedAbove: Number(counted[0]?.n ?? 0),
      lastSeenAt: iso(Number(row.last_seen_at)),
    };
  }

  return {
    /**
     * Notes that the EHR was heard from on `channel` now, and raises the channel's highest
     * known event number to `highest`; returns the state before and after.
     */
    async noteSubscriptionContact(
      channel: string,
      ehr: string,
      highest: number,
    ): Promise<{ before: SubscriptionChannelState | undefined; after: SubscriptionChannelState }> {
      const before = await readChannel(channel);
      await ctx.exec.run(
        `INSERT INTO subscription_channels (channel, ehr, covered, highest, last_seen_at) VALUES (?, ?, 0, ?, ?)
         ON CONFLICT (channel) DO UPDATE SET
           highest = CASE WHEN subscription_channels.highest < excluded.highest THEN excluded.highest ELSE subscription_channels.highest END,
           last_seen_at = excluded.last_seen_at`,
        [channel, ehr, Math.max(0, highest), ctx.now()],
      );
      const after = await readChannel(channel);
      if (!after) {
        throw new Error('subscription channel row missing after upsert');
      }
      return { before, after };
    },

    async getSubscriptionChannel(channel: string): Promise<SubscriptionChannelState | undefined> {
      return readChannel(channel);
    },

    /** True when the event number was taken in before on this channel. */
    async hasSubscriptionEvent(channel: string, eventNumber: number): Promise<boolean> {
      const rows = await ctx.exec.all<{ n: number | string }>('SELECT COUNT(*) AS n FROM subscription_events WHERE channel = ? AND event_number = ?', [
        channel,
        eventNumber,
      ]);
      return Number(rows[0]?.n ?? 0) > 0;
    },

    /** Records an event number as taken in; false when it already was. */
    async recordSubscriptionEvent(channel: string, eventNumber: number): Promise<boolean> {
      const rows = await ctx.exec.all<{ channel: string }>(
        'INSERT INTO subscription_events (channel, event_number, recorded_at) VALUES (?, ?, ?) ON CONFLICT (channel, event_number) DO NOTHING RETURNING channel',
        [channel, eventNumber, ctx.now()],
      );
      return rows.length === 1;
    },

    /**
     * Every event number up to `upTo` is accounted for (taken in, or caught up by a query); never
     * moves back. Numbers far below it are forgotten: one of those coming again is read back
     * from the EHR and recognised by its version, so nothing is applied twice.
     */
    async coverSubscriptionEvents(channel: string, upTo: number): Promise<void> {
      await ctx.exec.run('UPDATE subscription_channels SET covered = ? WHERE channel = ? AND covered < ?', [upTo, channel, upTo]);
      await ctx.exec.run('DELETE FROM subscription_events WHERE channel = ? AND event_number <= ?', [channel, upTo - EVENTS_KEPT_BELOW_COVERED]);
    },

    /** When any subscription channel of the EHR last carried a notification or heartbeat. */
    async lastSubscriptionContact(ehr: string): Promise<string | undefined> {
      const rows = await ctx.exec.all<{ at: number | string | null }>('SELECT MAX(last_seen_at) AS at FROM subscription_channels WHERE ehr = ?', [ehr]);
      const at = rows[0]?.at;
      return at === null || at === undefined ? undefined : iso(Number(at));
    },
  };
}
