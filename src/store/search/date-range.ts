// FHIR R4 search.html#date: a date, dateTime or instant stands for the range its precision
// covers (`2024` = the whole year). Times without a zone are read as UTC (the spec leaves
// the zone to the server). Ranges are inclusive epoch milliseconds.

/** Lowest and highest instants the store can represent; open ends of a Period use them. */
export const MIN_INSTANT = -8_640_000_000_000_000;
export const MAX_INSTANT = 8_640_000_000_000_000;

export interface Range {
  low: number;
  high: number;
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** The inclusive range a FHIR date/dateTime/instant covers; undefined when the text is not one. */
export function dateRange(text: string): Range | undefined {
  const m = DATE.exec(text.trim());
  if (!m) {
    return undefined;
  }
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? undefined : Number(mo) - 1;
  const day = d === undefined ? undefined : Number(d);
  if (month !== undefined && (month < 0 || month > 11)) {
    return undefined;
  }
  if (day !== undefined && (day < 1 || day > daysIn(year, month ?? 0))) {
    return undefined;
  }
  if (h === undefined) {
    if (month === undefined) {
      return { low: utc(year, 0, 1), high: utc(year + 1, 0, 1) - 1 };
    }
    if (day === undefined) {
      return { low: utc(year, month, 1), high: utc(year, month + 1, 1) - 1 };
    }
    return { low: utc(year, month, day), high: utc(year, month, day + 1) - 1 };
  }
  const hour = Number(h);
  const minute = Number(mi);
  if (hour > 23 || minute > 59 || (s !== undefined && Number(s) > 59)) {
    return undefined;
  }
  const offset = zoneOffsetMs(zone);
  const base = Date.UTC(year, month ?? 0, day ?? 1, hour, minute, s === undefined ? 0 : Number(s)) - offset;
  if (s === undefined) {
    return { low: base, high: base + 60_000 - 1 };
  }
  if (frac === undefined) {
    return { low: base, high: base + 1000 - 1 };
  }
  // Sub-millisecond digits cannot be represented: the range is the millisecond they fall in.
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  const unit = frac.length >= 3 ? 1 : 10 ** (3 - frac.length);
  return { low: base + ms, high: base + ms + unit - 1 };
}

function utc(year: number, month: number, day: number): number {
  return Date.UTC(year, month, day);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') {
    return 0;
  }
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hh, mm] = zone.slice(1).split(':').map(Number);
  return sign * (hh * 60 + mm) * 60_000;
}
