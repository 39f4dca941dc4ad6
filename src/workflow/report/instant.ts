// Milliseconds since the epoch of a FHIR instant / dateTime / date (FHIR R4
// datatypes.html#instant), fast for the layouts the store writes
// (YYYY-MM-DD, YYYY-MM-DDThh:mm:ss[.sss](Z|+hh:mm|-hh:mm)) and Date.parse for anything else.
// Reports read hundreds of thousands of timestamps; Date.parse dominated their cost.

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (civil-from-days inverse). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function instantMs(s: string): number {
  const len = s.length;
  if (len < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return Date.parse(s);
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return Date.parse(s);
  const day = daysFromCivil(y, mo, d) * 86_400_000;
  if (len === 10) return day;
  if (len < 20 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return Date.parse(s);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return Date.parse(s);
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    ms = digits(s, 20, 3);
    if (ms < 0) return Date.parse(s);
    i = 23;
  }
  let offset = 0;
  const zone = s.charCodeAt(i);
  if (zone === 90 && i + 1 === len) {
    offset = 0;
  } else if ((zone === 43 || zone === 45) && i + 6 === len && s.charCodeAt(i + 3) === 58) {
    const oh = digits(s, i + 1, 2);
    const om = digits(s, i + 4, 2);
    if (oh < 0 || om < 0) return Date.parse(s);
    offset = (zone === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
  } else {
    return Date.parse(s);
  }
  return day + ((h * 60 + mi) * 60 + sec) * 1000 + ms - offset;
}
