/**
 * Deployment windows and freezes: when a rollout may raise the canary's weight or promote. Pure: the
 * time zone arithmetic uses Intl (the IANA database Node ships), no I/O.
 *
 * A window is a weekly wall-clock range in a time zone, `MON-FRI 09:00-17:00 Europe/Berlin`; an end
 * at or before the start spans midnight (`FRI 22:00-02:00 UTC` ends on Saturday). A freeze is an
 * interval of instants. A moment is open when it lies inside a window of every window list that
 * applies (the construct's, and the execution's when it gives some) and inside no freeze.
 */
import { ValidationFailedError } from '../errors';

/** A freeze period, normalised to ISO-8601 instants; `end` is exclusive. */
export interface FreezeSpec {
  readonly start: string;
  readonly end: string;
  readonly reason?: string;
}

/** When rollouts may advance. Empty `windows` means every moment outside a freeze. */
export interface DeploymentCalendar {
  readonly windows: string[];
  readonly freezes: FreezeSpec[];
}

/** A parsed window. `days` are the days its start falls on (0 = Sunday, as `Date#getUTCDay`). */
export interface WeeklyWindow {
  readonly text: string;
  readonly days: ReadonlySet<number>;
  /** Minutes after local midnight, 0–1439. */
  readonly startMinute: number;
  /** Minutes after local midnight, 1–1440; at or before `startMinute` the window spans midnight. */
  readonly endMinute: number;
  readonly timeZone: string;
}

/** The rules a gate applies: every window set must contain the moment; no freeze may. */
export interface CalendarRules {
  readonly windowSets: ReadonlyArray<readonly WeeklyWindow[]>;
  readonly freezes: ReadonlyArray<{ readonly start: number; readonly end: number; readonly reason?: string }>;
}

export type Opening =
  | { readonly open: true }
  /** `opensAt` is undefined when nothing opens within the search horizon. */
  | { readonly open: false; readonly opensAt?: Date; readonly reason: string };

/** How far ahead a gate looks for the next opening: a Standard execution lasts at most a year. */
export const HORIZON_DAYS = 366;

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const WINDOW_FORMAT = 'must read like "MON-FRI 09:00-17:00 Europe/Berlin": days (MON…SUN, ranges and commas), a time range (HH:MM-HH:MM, 24:00 allowed as an end), an IANA time zone';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Parses a window.
 * @throws ValidationFailedError saying what is wrong with the text.
 */
export function parseWindow(text: string): WeeklyWindow {
  const problem = (what: string) => new ValidationFailedError(`deployment window ${JSON.stringify(text)} ${what}`);
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 3) throw problem(WINDOW_FORMAT);
  const [dayText, timeText, timeZone] = parts as [string, string, string];

  const days = new Set<number>();
  for (const item of dayText.toUpperCase().split(',')) {
    const [from, to, extra] = item.split('-');
    const first = DAY_NAMES.indexOf(from as (typeof DAY_NAMES)[number]);
    const last = to === undefined ? first : DAY_NAMES.indexOf(to as (typeof DAY_NAMES)[number]);
    if (first < 0 || last < 0 || extra !== undefined) throw problem(`has unknown days "${item}": ${WINDOW_FORMAT}`);
    // A range may wrap around the week: FRI-MON is Friday, Saturday, Sunday, Monday.
    for (let day = first; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === last) break;
    }
  }

  const times = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(timeText);
  const minuteOf = (h: string, m: string) => Number(h) * 60 + Number(m);
  if (!times || Number(times[2]) > 59 || Number(times[4]) > 59) throw problem(`has an unreadable time range "${timeText}": ${WINDOW_FORMAT}`);
  const startMinute = minuteOf(times[1]!, times[2]!);
  const endMinute = minuteOf(times[3]!, times[4]!);
  if (startMinute >= 1440 || endMinute > 1440 || endMinute === 0) {
    throw problem(`has a time out of range in "${timeText}": times run from 00:00 to 24:00, and a window cannot end at 00:00 (write 24:00)`);
  }
  if (startMinute === endMinute) throw problem(`is empty: it starts and ends at ${timeText.slice(0, 5)}`);

  if (!isTimeZone(timeZone)) throw problem(`names an unknown time zone "${timeZone}": use an IANA name such as "Europe/Berlin" or "UTC"`);
  return { text: text.trim(), days, startMinute, endMinute, timeZone };
}

/**
 * Parses a freeze. `start` and `end` are ISO-8601 date-times with `Z` or an offset, or dates
 * (`2026-12-20`): a date is a whole UTC day, so an `end` date is included.
 * @throws ValidationFailedError saying what is wrong.
 */
export function parseFreeze(raw: { start: string; end: string; reason?: string }): FreezeSpec {
  const start = instantOf(raw.start, 'start');
  const end = instantOf(raw.end, 'end');
  const label = raw.reason ? `freeze "${raw.reason}"` : `freeze ${raw.start}…${raw.end}`;
  if (start === undefined || end === undefined) {
    throw new ValidationFailedError(
      `${label} needs start and end as ISO-8601 dates ("2026-12-20") or date-times with a zone ("2026-12-20T18:00:00+01:00"), got ${JSON.stringify(raw.start)} and ${JSON.stringify(raw.end)}`,
    );
  }
  if (end <= start) throw new ValidationFailedError(`${label} ends before it starts`);
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), ...(raw.reason !== undefined && { reason: raw.reason }) };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function instantOf(text: string, which: 'start' | 'end'): number | undefined {
  if (DATE.test(text)) {
    const day = Date.parse(`${text}T00:00:00Z`);
    if (Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== text) return undefined;
    return which === 'end' ? day + DAY_MS : day;
  }
  if (!DATE_TIME.test(text)) return undefined;
  const instant = Date.parse(text);
  return Number.isNaN(instant) ? undefined : instant;
}

/**
 * The rules of a rollout: the construct's calendar, tightened by the execution's. The execution's
 * windows are intersected with the construct's (a moment must be in both), its freezes are added;
 * nothing an execution gives can open a moment the construct closes.
 * @throws ValidationFailedError naming every window or freeze that does not parse.
 */
export function calendarRules(base: DeploymentCalendar, tighter?: Partial<DeploymentCalendar>): CalendarRules {
  const problems: string[] = [];
  const parseAll = (texts: readonly string[]) =>
    texts.flatMap((text) => {
      try {
        return [parseWindow(text)];
      } catch (error) {
        problems.push(...(error as ValidationFailedError).problems);
        return [];
      }
    });
  const windowSets = [base.windows, tighter?.windows ?? []].filter((set) => set.length > 0).map(parseAll);
  const freezes = [...base.freezes, ...(tighter?.freezes ?? [])].flatMap((raw) => {
    try {
      const freeze = parseFreeze(raw);
      return [{ start: Date.parse(freeze.start), end: Date.parse(freeze.end), ...(freeze.reason !== undefined && { reason: freeze.reason }) }];
    } catch (error) {
      problems.push(...(error as ValidationFailedError).problems);
      return [];
    }
  });
  if (problems.length > 0) throw new ValidationFailedError(problems);
  return { windowSets, freezes };
}

/** Whether the calendar restricts anything at all. */
export function isUnrestricted(calendar: DeploymentCalendar | undefined): boolean {
  return !calendar || (calendar.windows.length === 0 && calendar.freezes.length === 0);
}

/** Whether `window` contains the instant `at`. */
export function windowContains(window: WeeklyWindow, at: number): boolean {
  const local = wallClock(at, window.timeZone);
  const minute = local.hour * 60 + local.minute;
  const spansMidnight = window.endMinute <= window.startMinute;
  if (!spansMidnight) return window.days.has(local.weekday) && minute >= window.startMinute && minute < window.endMinute;
  // Started today, or started yesterday and runs past midnight into today.
  return (window.days.has(local.weekday) && minute >= window.startMinute) || (window.days.has((local.weekday + 6) % 7) && minute < window.endMinute);
}

/** Whether a rollout may raise the canary's weight or promote at `at`. */
export function isOpen(rules: CalendarRules, at: Date): boolean {
  return openAt(rules, at.getTime());
}

function openAt(rules: CalendarRules, at: number): boolean {
  return rules.windowSets.every((set) => set.some((w) => windowContains(w, at))) && !rules.freezes.some((f) => at >= f.start && at < f.end);
}

/**
 * Open now, or when it opens next and why it is closed now. The next opening is the earliest
 * moment after `at` that is open: a window's start (in its own time zone, across DST changes) or
 * a freeze's end, whichever is first open.
 */
export function nextOpening(rules: CalendarRules, at: Date, horizonDays = HORIZON_DAYS): Opening {
  const from = at.getTime();
  if (openAt(rules, from)) return { open: true };
  const until = from + horizonDays * DAY_MS;
  const candidates = new Set<number>();
  for (const set of rules.windowSets) for (const window of set) for (const start of windowStarts(window, from, until)) candidates.add(start);
  for (const freeze of rules.freezes) if (freeze.end > from && freeze.end <= until) candidates.add(freeze.end);
  const opensAt = [...candidates].sort((a, b) => a - b).find((candidate) => openAt(rules, candidate));
  const reason = closedReason(rules, from);
  return opensAt === undefined
    ? { open: false, reason: `${reason}, and no deployment window opens within ${horizonDays} days` }
    : { open: false, opensAt: new Date(opensAt), reason: `${reason}; the next deployment window opens at ${new Date(opensAt).toISOString()}` };
}

/** Why `at` is closed, in words. */
function closedReason(rules: CalendarRules, at: number): string {
  const freeze = rules.freezes.find((f) => at >= f.start && at < f.end);
  if (freeze) {
    return `inside the freeze ${freeze.reason ? `"${freeze.reason}" ` : ''}(${new Date(freeze.start).toISOString()} to ${new Date(freeze.end).toISOString()})`;
  }
  const outside = rules.windowSets.find((set) => !set.some((w) => windowContains(w, at)))!;
  return `outside the deployment windows (${outside.map((w) => w.text).join(', ')})`;
}

/** Every instant in [from, until] at which an occurrence of `window` starts. */
function windowStarts(window: WeeklyWindow, from: number, until: number): number[] {
  const starts: number[] = [];
  const today = wallClock(from, window.timeZone);
  // From the local day before `from` (its occurrence may still be running, but then `from` would be
  // open), to a day past `until`.
  let day = Date.UTC(today.year, today.month - 1, today.day) - DAY_MS;
  for (; day <= until + 2 * DAY_MS; day += DAY_MS) {
    if (!window.days.has(new Date(day).getUTCDay())) continue;
    const start = instantOfWallTime(day + window.startMinute * MINUTE_MS, window.timeZone);
    if (start > from && start <= until) starts.push(start);
  }
  return starts;
}

/**
 * The instant at which the wall clock of `timeZone` shows `wall` (a wall time written as if UTC).
 * A time that happens twice (the hour clocks go back) is its first occurrence; a time that never
 * happens (the hour clocks skip) is the moment the clocks jump, the first one after it.
 */
export function instantOfWallTime(wall: number, timeZone: string): number {
  // At most one offset change lies within a day of any wall time in practice.
  const offsets = [...new Set([offsetAt(wall - DAY_MS, timeZone), offsetAt(wall + DAY_MS, timeZone)])];
  const valid = offsets.map((offset) => wall - offset).filter((instant) => offsetAt(instant, timeZone) === wall - instant);
  if (valid.length > 0) return Math.min(...valid);
  // In the gap: the jump lies between the two readings; find it to the minute.
  let low = Math.min(...offsets.map((o) => wall - o));
  let high = Math.max(...offsets.map((o) => wall - o));
  const before = offsetAt(low, timeZone);
  while (high - low > MINUTE_MS) {
    const middle = low + Math.floor((high - low) / 2 / MINUTE_MS) * MINUTE_MS;
    if (offsetAt(middle, timeZone) === before) low = middle;
    else high = middle;
  }
  return high;
}

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

function wallClock(at: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(at))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year, month, day, hour, minute } = parts as Record<'year' | 'month' | 'day' | 'hour' | 'minute', number>;
  return { year, month, day, hour: hour % 24, minute, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() };
}

/** The zone's offset from UTC at `at`, in ms (positive east of Greenwich), to the minute. */
function offsetAt(at: number, timeZone: string): number {
  const local = wallClock(at, timeZone);
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  return wall - Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** What the plan looks like against the calendar, for Validate. */
export interface PlanFit {
  /** Empty when the plan can finish before `deadline`. */
  readonly problems: string[];
}

/**
 * Whether a plan can finish before the execution's deadline when every weight increase and the
 * promotion wait for an open moment. Optimistic (no readiness waits, no approvals), so a refusal
 * means the plan can never fit, not that it might not.
 * @param steps each step's time from its weight write to the next gate (settle plus bake), in seconds.
 */
export function planFit(rules: CalendarRules, start: Date, steps: readonly number[], deadline: Date): PlanFit {
  const describe = () =>
    [
      ...rules.windowSets.map((set) => `windows ${set.map((w) => w.text).join(', ')}`),
      ...(rules.freezes.length > 0
        ? [`freezes ${rules.freezes.map((f) => `${f.reason ? `"${f.reason}" ` : ''}${new Date(f.start).toISOString()}…${new Date(f.end).toISOString()}`).join(', ')}`]
        : []),
    ].join('; ');
  let at = start;
  const gates = [...steps.map((seconds, index) => ({ what: `step ${index + 1}`, after: seconds })), { what: 'the promotion', after: 0 }];
  for (const gate of gates) {
    const opening = nextOpening(rules, at);
    if (!opening.open && opening.opensAt === undefined) {
      return { problems: [`the plan can never fit the deployment calendar: ${gate.what} finds no open moment within ${HORIZON_DAYS} days of ${at.toISOString()} (${describe()})`] };
    }
    const opensAt = opening.open ? at : opening.opensAt!;
    if (opensAt.getTime() > deadline.getTime()) {
      return {
        problems: [
          `the plan can never fit the deployment calendar before the state machine's timeout at ${deadline.toISOString()} (the construct's maxRolloutDuration): ${gate.what} could begin at ${opensAt.toISOString()} at the earliest (${describe()})`,
        ],
      };
    }
    at = new Date(opensAt.getTime() + gate.after * 1000);
  }
  return { problems: [] };
}

/**
 * Validate's check of a rollout against its calendar: the execution's windows and freezes need a
 * service with window gates, every window and freeze must parse, and the plan must be able to fit.
 * @param stepSeconds each step's settle plus bake, in seconds.
 * @param limitSeconds the state machine's timeout.
 */
export function calendarProblems(
  service: DeploymentCalendar | undefined,
  execution: DeploymentCalendar | undefined,
  stepSeconds: readonly number[],
  now: Date,
  limitSeconds: number,
): string[] {
  if (execution && isUnrestricted(service) && !isUnrestricted(execution)) {
    return [
      'windows and freezes in the input narrow the service\'s deployment calendar, but this service has none: its state machine has no window gates (set windows or freezes on the CanaryRollout, e.g. DeploymentWindow.of("MON-SUN 00:00-24:00 UTC") for "any time")',
    ];
  }
  if (isUnrestricted(service)) return [];
  try {
    const rules = calendarRules(service!, execution);
    return planFit(rules, now, stepSeconds, new Date(now.getTime() + limitSeconds * 1000)).problems;
  } catch (error) {
    if (error instanceof ValidationFailedError) return error.problems;
    throw error;
  }
}
