// Sync failures waiting for an operator: dead letters not yet requeued (the Store port lists
// them; it has no count). Used by the report's data-quality figure and the /metrics gauge.
import type { Store } from '../store/store.ts';

const PAGE = 1000;

export async function countDeadLetters(store: Pick<Store, 'listDeadLetters'>): Promise<number> {
  let total = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.listDeadLetters({ limit: PAGE, offset });
    total += page.length;
    if (page.length < PAGE) return total;
  }
}
