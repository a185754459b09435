/**
 * The bookkeeping behind the fakes' fault injection and holds, shared by the AWS fakes and the fake
 * Kubernetes API: a registered fault counts its hits until removed; a hold resolves `reached` with
 * the first request it takes and keeps that request waiting until `release()`.
 */

export interface ActiveFault<Spec> {
  readonly spec: Spec;
  hits: number;
  removed: boolean;
}

export interface ActiveHold<Spec, Request> {
  readonly spec: Spec;
  readonly reach: (request: Request) => void;
  readonly released: Promise<void>;
  taken: boolean;
}

/** Registers a fault in `faults`; the handle reads its hits and removes it. */
export function registerFault<Spec>(faults: Array<ActiveFault<Spec>>, spec: Spec): { readonly hits: number; remove(): void } {
  const fault: ActiveFault<Spec> = { spec, hits: 0, removed: false };
  faults.push(fault);
  return {
    get hits() {
      return fault.hits;
    },
    remove: () => {
      fault.removed = true;
    },
  };
}

/** Registers a hold in `holds`; `release()` lets the held request go on (before it arrived: it is not held at all). */
export function registerHold<Spec, Request>(
  holds: Array<ActiveHold<Spec, Request>>,
  spec: Spec,
): { readonly reached: Promise<Request>; release(): void } {
  let reach!: (request: Request) => void;
  let release!: () => void;
  const reached = new Promise<Request>((resolve) => (reach = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const hold: ActiveHold<Spec, Request> = { spec, reach, released, taken: false };
  holds.push(hold);
  return {
    reached,
    release: () => {
      hold.taken = true;
      release();
    },
  };
}
