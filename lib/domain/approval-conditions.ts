/**
 * A conditional approval's conditions (issue 24). Their text is shown at Advance and must be
 * acknowledged there by a person; those that are a time are held by the gate: not before an
 * instant, and only during office hours (Monday–Friday, 09:00–17:00) in the signer's time zone.
 */

export const OFFICE_HOURS = { fromHour: 9, toHour: 17, days: [1, 2, 3, 4, 5] } as const;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

export interface ApprovalConditions {
  signerName: string;
  conditions: string;
  notBefore: Date | null;
  officeHoursTimeZone: string | null;
}

/** Whether `timeZone` is an IANA zone this runtime knows ("Europe/Berlin", "UTC"). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Weekday (0 = Sunday), hour and minute of `at` in `timeZone`. */
export function localTime(at: Date, timeZone: string): { weekday: number; hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "numeric", minute: "numeric", hourCycle: "h23" })
    .formatToParts(at)
    .reduce<Record<string, string>>((acc, p) => ({ ...acc, [p.type]: p.value }), {});
  return {
    weekday: WEEKDAYS.indexOf(parts.weekday as (typeof WEEKDAYS)[number]),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
  };
}

export function inOfficeHours(at: Date, timeZone: string): boolean {
  const { weekday, hour } = localTime(at, timeZone);
  return (OFFICE_HOURS.days as readonly number[]).includes(weekday) && hour >= OFFICE_HOURS.fromHour && hour < OFFICE_HOURS.toHour;
}

/** What of one approval's time conditions still holds the phase back at `now`, in words; empty when nothing does. */
export function timeConditionsUnmet(c: ApprovalConditions, now: Date): string[] {
  const unmet: string[] = [];
  if (c.notBefore && now.getTime() < c.notBefore.getTime())
    unmet.push(`not before ${c.notBefore.toISOString().replace("T", " ").slice(0, 16)} UTC`);
  if (c.officeHoursTimeZone && !inOfficeHours(now, c.officeHoursTimeZone)) {
    const { weekday, hour, minute } = localTime(now, c.officeHoursTimeZone);
    const clock = `${WEEKDAYS[weekday]} ${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
    unmet.push(`only during office hours (Mon–Fri 09:00–17:00 ${c.officeHoursTimeZone}; it is ${clock} there)`);
  }
  return unmet;
}
