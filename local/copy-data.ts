/**
 * The deep copy the fakes make of what they store, log and answer, as `structuredClone` makes it,
 * several times faster for the small records they copy on every call: structuredClone writes the
 * value through V8's serializer and reads it back, where plain objects and arrays need only a walk.
 * Anything else (a Date, a Map, a Set, a typed array, an Error, a class instance) is copied by
 * structuredClone itself; a function throws structuredClone's DataCloneError; a value nested
 * deeper than any record (a cycle) is copied whole by structuredClone, which keeps cycles.
 */
export function copyData<T>(value: T): T {
  try {
    return copy(value, 0) as T;
  } catch (error) {
    if (error === TOO_DEEP) return clone(value);
    throw error;
  }
}

/** Deeper than any record a fake holds; reached only by a cycle (or data no fake makes). */
const MAX_DEPTH = 200;
const TOO_DEEP = Symbol('tooDeep');

// Read once: in a jest test file's context every lookup of a global (`Object`, `Array`) goes through
// the context's global object, and took most of the walk's time.
const { keys, getPrototypeOf, defineProperty } = Object;
const { isArray } = Array;
const OBJECT_PROTOTYPE = Object.prototype;
const clone = structuredClone;

function copy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) {
    // structuredClone throws the DataCloneError a function or a symbol gets.
    return typeof value === 'function' || typeof value === 'symbol' ? clone(value) : value;
  }
  if (depth > MAX_DEPTH) throw TOO_DEEP;
  if (isArray(value)) {
    // map keeps the holes of a sparse array, as structuredClone does.
    return value.map((element) => copy(element, depth + 1));
  }
  const prototype: unknown = getPrototypeOf(value);
  if (prototype !== OBJECT_PROTOTYPE && prototype !== null) return clone(value);
  const result: Record<string, unknown> = {};
  for (const key of keys(value)) {
    const copied = copy((value as Record<string, unknown>)[key], depth + 1);
    // An own `__proto__` key (JSON.parse makes one) stays a property, not the copy's prototype.
    if (key === '__proto__') defineProperty(result, key, { value: copied, enumerable: true, writable: true, configurable: true });
    else result[key] = copied;
  }
  return result;
}
