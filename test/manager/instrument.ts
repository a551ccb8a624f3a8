/** A provider wrapper for the suite: counts calls and injects failures, over any real provider. */
import type { Value } from '../../src/manager/value.js';
import type { Provider, ProviderDefaults, RestoreOptions, Storer } from '../../src/providers/provider.js';

export type Op = 'new' | 'restore' | 'refresh' | 'destroy' | 'setValue' | 'touch';

export interface Instrumented {
  provider: Provider;
  counts: Record<Op, number>;
  /** Make the next calls of `op` fail: `fail.new = () => new DuplicateIdError()`; return undefined to pass. */
  fail: Partial<Record<Op, (call: number) => Error | undefined>>;
  reset(): void;
}

export function instrument(inner: Provider): Instrumented {
  const counts: Record<Op, number> = { new: 0, restore: 0, refresh: 0, destroy: 0, setValue: 0, touch: 0 };
  const fail: Instrumented['fail'] = {};
  const check = (op: Op): void => {
    counts[op]++;
    const err = fail[op]?.(counts[op]);
    if (err) throw err;
  };
  const wrap = (s: Storer): Storer => ({
    sessionID: () => s.sessionID(),
    getValue: () => s.getValue(),
    setValue: async (v: Value) => {
      check('setValue');
      return s.setValue(v);
    },
    touch: async () => {
      check('touch');
      return s.touch();
    },
  });
  const provider: Provider = {
    new: async (sid: string, initial?: Value) => {
      check('new');
      return wrap(await inner.new(sid, initial));
    },
    restore: async (sid: string, options?: RestoreOptions) => {
      check('restore');
      return wrap(await inner.restore(sid, options));
    },
    refresh: async (sid: string, newSid: string) => {
      check('refresh');
      return wrap(await inner.refresh(sid, newSid));
    },
    destroy: async (sid: string) => {
      check('destroy');
      return inner.destroy(sid);
    },
    useDefaults: (d: ProviderDefaults) => inner.useDefaults?.(d),
  };
  return {
    provider,
    counts,
    fail,
    reset() {
      for (const k of Object.keys(counts) as Op[]) counts[k] = 0;
      for (const k of Object.keys(fail) as Op[]) delete fail[k];
    },
  };
}
