/**
 * express-session's constructors are ES5 functions, and published stores
 * still subclass them the ES5 way (`Store.call(this)` + `util.inherits`:
 * memorystore, session-file-store, ...). A class cannot be called without
 * `new`, so each exported constructor is this wrapper around its class:
 * `new`/`extends` construct the class as usual; a plain call builds an
 * instance and copies its own properties (class fields, EventEmitter state)
 * onto `this`. The classes' constructors therefore keep no reference to
 * `this` outside its own properties.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ctor = abstract new (...args: any[]) => object;

/** The class, also callable as an ES5 constructor on an existing object. */
export type Es5<C extends Ctor> = C & ((this: unknown, ...args: ConstructorParameters<C>) => void);

export function es5<C extends Ctor>(cls: C): Es5<C> {
  const construct = cls as unknown as new (...args: unknown[]) => object;
  const F = function (this: unknown, ...args: unknown[]): object | undefined {
    if (new.target !== undefined) return Reflect.construct(construct, args, new.target) as object;
    if (this === null || (typeof this !== 'object' && typeof this !== 'function')) {
      throw new TypeError(`${cls.name} must be called on an object (Store.call(this))`);
    }
    const made = Reflect.construct(construct, args, F) as object;
    Object.defineProperties(this, Object.getOwnPropertyDescriptors(made));
    return undefined;
  };
  Object.defineProperty(F, 'name', { value: cls.name });
  // Statics and the prototype chain are the class's own: F stands in for it everywhere.
  Object.setPrototypeOf(F, Object.getPrototypeOf(cls) as object);
  for (const key of Reflect.ownKeys(cls)) {
    if (key === 'prototype' || key === 'name' || key === 'length') continue;
    Object.defineProperty(F, key, Object.getOwnPropertyDescriptor(cls, key) as PropertyDescriptor);
  }
  F.prototype = cls.prototype as object;
  Object.defineProperty(cls.prototype, 'constructor', { value: F, writable: true, configurable: true, enumerable: false });
  return F as unknown as Es5<C>;
}
