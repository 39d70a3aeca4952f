/**
 * Runtime features the local adapters need that Node 20 (the project's engine) lacks.
 * aws-local-stepfunctions 3 targets Node 22 and calls Promise.withResolvers (ES2024) for every Task state.
 * Import this module before any code that runs a state machine; it is idempotent and patches nothing that exists.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const PromiseCtor = Promise as unknown as { withResolvers?: unknown };

if (typeof PromiseCtor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    // As the spec: resolvers of a new promise of `this` (so subclasses get their own kind of promise).
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new this<T>((res, rej) => { resolve = res; reject = rej; });
      return { promise, resolve, reject };
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

export {};
