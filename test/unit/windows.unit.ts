import {
  calendarProblems,
  calendarRules,
  instantOfWallTime,
  isOpen,
  nextOpening,
  parseFreeze,
  parseWindow,
  type DeploymentCalendar,
} from '../../lambda/domain/windows';

const calendar = (windows: string[], freezes: DeploymentCalendar['freezes'] = []): DeploymentCalendar => ({ windows, freezes });
const at = (iso: string) => new Date(iso);
const opensAt = (rules: ReturnType<typeof calendarRules>, from: string) => {
  const opening = nextOpening(rules, at(from));
  return opening.open ? 'open' : (opening.opensAt?.toISOString() ?? 'never');
};

describe('parseWindow', () => {
  it.each<[string, number[], number, number]>([
    ['MON-FRI 09:00-17:00 Europe/Berlin', [1, 2, 3, 4, 5], 540, 1020],
    ['sat,sun 00:00-24:00 UTC', [6, 0], 0, 1440],
    ['FRI-MON 22:00-02:00 America/New_York', [5, 6, 0, 1], 1320, 120],
    ['MON,WED-THU 10:30-11:45 Asia/Kolkata', [1, 3, 4], 630, 705],
  ])('%s', (text, days, startMinute, endMinute) => {
    // Act
    const window = parseWindow(text);

    // Assess
    expect([...window.days].sort()).toEqual([...days].sort());
    expect([window.startMinute, window.endMinute]).toEqual([startMinute, endMinute]);
  });

  it.each<[string, RegExp]>([
    ['MON-FRI 09:00-17:00', /must read like/],
    ['MON-FRY 09:00-17:00 UTC', /unknown days "MON-FRY"/],
    ['MON 9:00-17:00 UTC', /unreadable time range/],
    ['MON 09:00-24:30 UTC', /out of range/],
    ['MON 09:00-00:00 UTC', /write 24:00/],
    ['MON 09:00-09:00 UTC', /is empty/],
    ['MON 09:00-17:00 Europe/Atlantis', /unknown time zone "Europe\/Atlantis"/],
  ])('refuses %j', (text, message) => {
    expect(() => parseWindow(text)).toThrow(message);
  });
});

describe('parseFreeze', () => {
  it('reads dates as whole UTC days, the end day included', () => {
    expect(parseFreeze({ start: '2026-12-20', end: '2027-01-04', reason: 'year end' })).toEqual({
      start: '2026-12-20T00:00:00.000Z',
      end: '2027-01-05T00:00:00.000Z',
      reason: 'year end',
    });
  });

  it('reads date-times with their offset', () => {
    expect(parseFreeze({ start: '2026-12-20T18:00:00+01:00', end: '2026-12-21T06:00Z' })).toEqual({
      start: '2026-12-20T17:00:00.000Z',
      end: '2026-12-21T06:00:00.000Z',
    });
  });

  it.each([
    [{ start: '2026-12-20T18:00:00', end: '2026-12-21' }, /date-times with a zone/],
    [{ start: '2026-02-30', end: '2026-03-01' }, /ISO-8601 dates/],
    [{ start: '2026-12-21', end: '2026-12-20' }, /ends before it starts/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseFreeze(raw)).toThrow(message);
  });
});

describe('instantOfWallTime across DST', () => {
  it.each<[string, string, string, string]>([
    // Europe/Berlin: clocks go 02:00 → 03:00 on the last Sunday of March, 03:00 → 02:00 in October.
    ['a normal winter time', 'Europe/Berlin', '2026-01-15T09:00:00Z', '2026-01-15T08:00:00.000Z'],
    ['a normal summer time', 'Europe/Berlin', '2026-07-15T09:00:00Z', '2026-07-15T07:00:00.000Z'],
    ['a time the spring change skips: the moment clocks jump', 'Europe/Berlin', '2026-03-29T02:30:00Z', '2026-03-29T01:00:00.000Z'],
    ['a time the autumn change repeats: its first occurrence', 'Europe/Berlin', '2026-10-25T02:30:00Z', '2026-10-25T00:30:00.000Z'],
    // America/New_York: second Sunday of March at 02:00, first Sunday of November at 02:00.
    ['New York, skipped', 'America/New_York', '2026-03-08T02:15:00Z', '2026-03-08T07:00:00.000Z'],
    ['New York, repeated', 'America/New_York', '2026-11-01T01:30:00Z', '2026-11-01T05:30:00.000Z'],
  ])('%s', (_label, zone, wall, expected) => {
    expect(new Date(instantOfWallTime(Date.parse(wall), zone)).toISOString()).toBe(expected);
  });
});

describe('nextOpening', () => {
  const berlinOffice = calendarRules(calendar(['MON-FRI 09:00-17:00 Europe/Berlin']));
  const newYorkOffice = calendarRules(calendar(['MON-FRI 09:00-17:00 America/New_York']));
  const night = calendarRules(calendar(['FRI 22:00-02:00 UTC']));

  it.each<[string, ReturnType<typeof calendarRules>, string, string]>([
    ['inside the window', berlinOffice, '2026-01-14T10:00:00Z', 'open'],
    ['before it, winter (UTC+1)', berlinOffice, '2026-01-14T07:00:00Z', '2026-01-14T08:00:00.000Z'],
    ['at its end (exclusive)', berlinOffice, '2026-01-14T16:00:00Z', '2026-01-15T08:00:00.000Z'],
    ['Friday evening → Monday', berlinOffice, '2026-01-16T17:00:00Z', '2026-01-19T08:00:00.000Z'],
    // The Friday before the spring change opens at 08:00Z; the Monday after it at 07:00Z.
    ['over the spring change', berlinOffice, '2026-03-27T17:00:00Z', '2026-03-30T07:00:00.000Z'],
    ['over the autumn change', berlinOffice, '2026-10-23T16:00:00Z', '2026-10-26T08:00:00.000Z'],
    ['New York over its spring change', newYorkOffice, '2026-03-06T23:00:00Z', '2026-03-09T13:00:00.000Z'],
    ['New York over its autumn change', newYorkOffice, '2026-10-30T22:00:00Z', '2026-11-02T14:00:00.000Z'],
    ['a window spanning midnight, before it', night, '2026-01-16T21:00:00Z', '2026-01-16T22:00:00.000Z'],
    ['a window spanning midnight, after midnight', night, '2026-01-17T01:30:00Z', 'open'],
    ['a window spanning midnight, past its end', night, '2026-01-17T02:00:00Z', '2026-01-23T22:00:00.000Z'],
  ])('%s', (_label, rules, from, expected) => {
    expect(opensAt(rules, from)).toBe(expected);
  });

  it('a freeze that starts mid-rollout closes a window that was open, until the freeze ends and a window is open', () => {
    // Prepare: open on Wednesday at 10:00 Berlin; a freeze from 11:00Z to Thursday 18:00Z.
    const rules = calendarRules(
      calendar(['MON-FRI 09:00-17:00 Europe/Berlin'], [{ start: '2026-01-14T11:00:00Z', end: '2026-01-15T18:00:00Z', reason: 'incident' }]),
    );

    // Assess
    expect(isOpen(rules, at('2026-01-14T09:00:00Z'))).toBe(true);
    const opening = nextOpening(rules, at('2026-01-14T12:00:00Z'));
    expect(opening).toEqual({
      open: false,
      opensAt: at('2026-01-16T08:00:00Z'),
      reason: expect.stringMatching(/^inside the freeze "incident" .*; the next deployment window opens at 2026-01-16T08:00:00.000Z$/),
    });
  });

  it('the end of a freeze opens at once inside a window', () => {
    const rules = calendarRules(calendar(['MON-FRI 09:00-17:00 Europe/Berlin'], [{ start: '2026-01-14T09:00:00Z', end: '2026-01-14T12:30:00Z' }]));
    expect(opensAt(rules, '2026-01-14T10:00:00Z')).toBe('2026-01-14T12:30:00.000Z');
  });

  it('intersects an execution’s windows with the service’s: it can narrow, never widen', () => {
    // Prepare
    const rules = calendarRules(calendar(['MON-FRI 09:00-17:00 Europe/Berlin']), { windows: ['MON-SUN 15:00-20:00 UTC'] });

    // Assess: Saturday, open for the input, closed for the service; Wednesday 10:00Z, closed for the input.
    expect(isOpen(rules, at('2026-01-17T16:00:00Z'))).toBe(false);
    expect(opensAt(rules, '2026-01-14T10:00:00Z')).toBe('2026-01-14T15:00:00.000Z');
    expect(nextOpening(rules, at('2026-01-14T10:00:00Z'))).toMatchObject({ reason: expect.stringMatching(/outside the deployment windows \(MON-SUN 15:00-20:00 UTC\)/) });
  });

  it('says when nothing ever opens', () => {
    const rules = calendarRules(calendar(['MON 09:00-17:00 UTC']), { windows: ['TUE 09:00-17:00 UTC'] });
    expect(nextOpening(rules, at('2026-01-14T10:00:00Z'))).toEqual({ open: false, reason: expect.stringMatching(/no deployment window opens within 366 days/) });
  });
});

describe('calendarProblems (Validate)', () => {
  const STEPS = [75, 75, 75];
  const WEEK = 7 * 86_400;
  const wednesday = at('2026-01-14T10:00:00Z');

  it('accepts a plan that fits, waiting over a weekend', () => {
    expect(calendarProblems(calendar(['MON-FRI 09:00-17:00 Europe/Berlin']), undefined, STEPS, at('2026-01-16T15:59:00Z'), WEEK)).toEqual([]);
  });

  it('refuses a plan that can never fit: no window opens before the timeout', () => {
    // Act
    const problems = calendarProblems(calendar(['MON-FRI 09:00-17:00 Europe/Berlin'], [{ start: '2026-01-10T00:00:00Z', end: '2026-02-01T00:00:00Z', reason: 'January freeze' }]), undefined, STEPS, wednesday, WEEK);

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^the plan can never fit the deployment calendar before the state machine's timeout at 2026-01-21T10:00:00.000Z .*step 1 could begin at 2026-02-02T08:00:00.000Z at the earliest .*"January freeze"/),
    ]);
  });

  it('refuses input windows that share no moment with the service’s', () => {
    expect(calendarProblems(calendar(['MON 09:00-17:00 UTC']), calendar(['TUE 09:00-17:00 UTC']), STEPS, wednesday, WEEK)).toEqual([
      expect.stringMatching(/step 1 finds no open moment within 366 days/),
    ]);
  });

  it('refuses an input calendar where the service has none: no gate would apply it', () => {
    expect(calendarProblems(undefined, calendar([], [{ start: '2026-01-14', end: '2026-01-15' }]), STEPS, wednesday, WEEK)).toEqual([
      expect.stringMatching(/this service has none: its state machine has no window gates/),
    ]);
  });

  it('has nothing to say without any calendar', () => {
    expect(calendarProblems(undefined, undefined, STEPS, wednesday, WEEK)).toEqual([]);
  });
});
