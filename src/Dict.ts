/**
 * String-keyed maps as objects without a prototype: the one representation for anything keyed by
 * a name or id from the configuration, the state file or an app (target names, item keys). No key,
 * `constructor` or `__proto__` or any other, ever finds or changes `Object.prototype`, and
 * `JSON.stringify` writes a Dict as a plain object.
 */
export type Dict<V> = { readonly [key: string]: V }

type Mutable<V> = { [key: string]: V }

export const empty = <V>(): Dict<V> => Object.create(null) as Dict<V>

export const fromEntries = <V>(entries: Iterable<readonly [string, V]>): Dict<V> => {
  const dict = Object.create(null) as Mutable<V>
  for (const [key, value] of entries) dict[key] = value
  return dict
}

/** A Dict of the object's own entries (what a decoder or `JSON.parse` produced). */
export const from = <V>(record: { readonly [key: string]: V }): Dict<V> => fromEntries(Object.entries(record))

/** The value of an own key; never an inherited one. */
export const get = <V>(dict: Dict<V>, key: string): V | undefined =>
  Object.hasOwn(dict, key) ? dict[key] : undefined

/** A copy with the key set. */
export const set = <V>(dict: Dict<V>, key: string, value: V): Dict<V> => {
  const copy = from(dict) as Mutable<V>
  copy[key] = value
  return copy
}

/**
 * Sets the key in place and returns the same Dict: for large item maps, where copying every key
 * on each change would dominate the cost of persisting it.
 */
export const setInPlace = <V>(dict: Dict<V>, key: string, value: V): Dict<V> => {
  ;(dict as Mutable<V>)[key] = value
  return dict
}
