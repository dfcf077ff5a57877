/** A store that records the name of each method called on it while `on` is set (how many queries a request costs). */
import type { Store } from '../../../src/lib/server/store/types';

export interface StoreSpy {
  calls: string[];
  on: boolean;
  wrap(store: Store): Store;
}

export function storeSpy(): StoreSpy {
  const spy: StoreSpy = {
    calls: [],
    on: false,
    wrap: (store) =>
      new Proxy(store, {
        get(target, prop, receiver) {
          const v: unknown = Reflect.get(target, prop, receiver);
          if (typeof v !== 'function') return v;
          return (...args: unknown[]) => {
            if (spy.on) spy.calls.push(String(prop));
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
      })
  };
  return spy;
}
