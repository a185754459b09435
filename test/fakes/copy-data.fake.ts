import { copyData } from '../../local/copy-data';

/** Plain data nested the way the fakes' records are, with every kind of value structuredClone copies. */
function record(): Record<string, unknown> {
  return {
    targetKey: 'shop/checkout',
    step: 2,
    done: false,
    missing: undefined,
    none: null,
    weights: { stable: 90, canary: 10 },
    plan: [{ weight: 10, bakeSeconds: 60 }, [1, [2, { three: 3 }]]],
    at: new Date('2026-01-02T03:04:05Z'),
    tags: new Set(['a', 'b']),
    byName: new Map([['web', { image: 'registry.local/app:1.0.0' }]]),
    bytes: new Uint8Array([1, 2, 3]),
    failure: new RangeError('out of range'),
    big: 10n,
  };
}

describe('copyData', () => {
  it('copies what structuredClone copies, to the same value', () => {
    // Prepare
    const original = record();

    // Act
    const copied = copyData(original);

    // Assess
    expect(copied).toStrictEqual(structuredClone(original));
    // structuredClone makes them in the host's realm under jest: compare their kinds, not their classes.
    const kinds = (value: Record<string, unknown>) => Object.values(value).map((member) => Object.prototype.toString.call(member));
    expect(kinds(copied)).toEqual(kinds(original));
    expect(kinds(copied)).toContain('[object Date]');
    expect(Object.keys(copied)).toEqual(Object.keys(original));
  });

  it('shares nothing with the original, at any depth', () => {
    // Prepare
    const original = record();

    // Act
    const copied = copyData(original) as ReturnType<typeof record> & {
      weights: { canary: number };
      plan: [{ weight: number }, [number, [number, { three: number }]]];
      byName: Map<string, { image: string }>;
      at: Date;
    };
    copied.weights.canary = 50;
    copied.plan[0].weight = 99;
    copied.plan[1][1][1].three = 4;
    copied.byName.get('web')!.image = 'changed';
    copied.at.setFullYear(2000);

    // Assess
    expect(original).toStrictEqual(record());
  });

  it('keeps the holes of a sparse array and makes a null-prototype object a plain one, as structuredClone', () => {
    // Prepare
    const sparse = [1, , 3];
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });

    // Act
    const copied = copyData({ sparse, bare });

    // Assess
    expect(1 in copied.sparse).toBe(false);
    expect(copied.sparse).toHaveLength(3);
    expect(Object.getPrototypeOf(copied.bare)).toBe(Object.prototype);
    expect(copied).toStrictEqual(structuredClone({ sparse, bare }));
  });

  it('keeps an own __proto__ key a property, not the prototype of the copy', () => {
    // Prepare
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;

    // Act
    const copied = copyData(parsed);

    // Assess
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(Object.keys(copied)).toEqual(['__proto__', 'a']);
    expect((copied as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses a function anywhere inside, as structuredClone does', () => {
    // Prepare
    const withFunction = { nested: [{ callback: () => undefined }] };

    // Act
    const copying = () => copyData(withFunction);

    // Assess
    expect(copying).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    expect(() => structuredClone(withFunction)).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
  });

  it('copies a cycle, as structuredClone does', () => {
    // Prepare
    const node: { name: string; next?: unknown } = { name: 'a' };
    node.next = { name: 'b', next: node };

    // Act
    const copied = copyData(node) as { name: string; next: { name: string; next: unknown } };

    // Assess
    expect(copied).not.toBe(node);
    expect(copied.next.next).toBe(copied);
    expect(copied.next.name).toBe('b');
  });
});
