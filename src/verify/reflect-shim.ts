/**
 * A minimal `Reflect` metadata shim, installed before `@peculiar/x509` loads.
 *
 * `@peculiar/x509` registers its algorithms with `tsyringe`, which refuses to load
 * unless `Reflect.getMetadata` exists ("tsyringe requires a reflect polyfill"). Rather
 * than adding the `reflect-metadata` package (a global polyfill of the whole proposal),
 * this module defines only the five functions `tsyringe` and `tslib.__metadata` call,
 * and only when no polyfill is present; an existing one is never replaced.
 *
 * `issue.ts` imports it dynamically, just before `@peculiar/x509`, and only when a
 * certificate is to be issued (the test PKI): verifying certificates never loads the
 * library and never touches the global `Reflect`.
 *
 * @module
 * @internal
 */

type MetadataKey = unknown;
type MetadataTarget = object;
type MetadataStore = WeakMap<MetadataTarget, Map<string | symbol | undefined, Map<MetadataKey, unknown>>>;

interface ReflectMetadataApi {
  getMetadata?: (key: MetadataKey, target: MetadataTarget, property?: string | symbol) => unknown;
  getOwnMetadata?: (key: MetadataKey, target: MetadataTarget, property?: string | symbol) => unknown;
  hasMetadata?: (key: MetadataKey, target: MetadataTarget, property?: string | symbol) => boolean;
  defineMetadata?: (key: MetadataKey, value: unknown, target: MetadataTarget, property?: string | symbol) => void;
  metadata?: (key: MetadataKey, value: unknown) => (target: MetadataTarget, property?: string | symbol) => void;
}

function install(): boolean {
  const r = Reflect as unknown as ReflectMetadataApi;
  if (typeof r.getMetadata === 'function') return false;
  const store: MetadataStore = new WeakMap();
  const own = (target: MetadataTarget, property: string | symbol | undefined, create: boolean): Map<MetadataKey, unknown> | undefined => {
    let byProp = store.get(target);
    if (!byProp) {
      if (!create) return undefined;
      byProp = new Map();
      store.set(target, byProp);
    }
    let map = byProp.get(property);
    if (!map && create) {
      map = new Map();
      byProp.set(property, map);
    }
    return map;
  };
  const getOwnMetadata = (key: MetadataKey, target: MetadataTarget, property?: string | symbol): unknown =>
    own(target, property, false)?.get(key);
  const getMetadata = (key: MetadataKey, target: MetadataTarget, property?: string | symbol): unknown => {
    // Walk the prototype chain, as reflect-metadata's OrdinaryGetMetadata does.
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const map = own(t, property, false);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
  const defineMetadata = (key: MetadataKey, value: unknown, target: MetadataTarget, property?: string | symbol): void => {
    own(target, property, true)?.set(key, value);
  };
  r.getOwnMetadata = getOwnMetadata;
  r.getMetadata = getMetadata;
  r.hasMetadata = (key, target, property) => getMetadata(key, target, property) !== undefined;
  r.defineMetadata = defineMetadata;
  r.metadata = (key, value) => (target, property) => defineMetadata(key, value, target, property);
  return true;
}

/** True if this module installed the shim (false: a Reflect metadata polyfill was already present). */
export const reflectShimInstalled: boolean = install();
