// FHIR R4 search.html#date: every date is an implicit range set by its precision.
// `2026-11` means the whole of November 2026; an instant means its own millisecond (or second).

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export interface DateRange {
  low: number;
  high: number;
}

/** The inclusive range, in epoch milliseconds, that a FHIR date/dateTime/instant text covers. */
export function dateRange(text: string): DateRange | undefined {
  const m = DATE.exec(text);
  if (!m) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  if (mo === undefined) {
    return { low: Date.UTC(year, 0, 1), high: Date.UTC(year + 1, 0, 1) - 1 };
  }
  const month = Number(mo) - 1;
  if (month < 0 || month > 11) {
    return undefined;
  }
  if (d === undefined) {
    return { low: Date.UTC(year, month, 1), high: Date.UTC(year, month + 1, 1) - 1 };
  }
  const day = Number(d);
  if (day < 1 || day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate()) {
    return undefined;
  }
  if (h === undefined) {
    return { low: Date.UTC(year, month, day), high: Date.UTC(year, month, day + 1) - 1 };
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) {
    return undefined;
  }
  const offset = zoneOffsetMs(zone);
  const base = Date.UTC(year, month, day, Number(h), Number(mi), Number(s ?? 0)) - offset;
  if (s === undefined) {
    return { low: base, high: base + 60_000 - 1 };
  }
  if (frac === undefined) {
    return { low: base, high: base + 999 };
  }
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  return { low: base + ms, high: base + ms };
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z') {
    return 0;
  }
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hh, mm] = zone.slice(1).split(':').map(Number);
  return sign * (hh * 60 + mm) * 60_000;
}
