/**
 * The one formatter for decode failures (an app's answer, the state file): the path of the first
 * bad field, what was expected and a short preview of what came, such as
 * `records[1].monitored: expected boolean, got "true"`. Its cost is bounded by the message, not by
 * the input: unlike Schema's own message, it never prints or walks the decoded value, so a body of
 * many megabytes or nested thousands of levels deep costs no more to report than a small one.
 */
import type * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"

const MAX_EXPECTED = 120
const MAX_KEY = 40
const MAX_STRING = 40

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text)

/** A value as a few words: primitives shown (strings shortened), containers only named. */
export const preview = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(clip(value, MAX_STRING))
  if (value === null) return "null"
  if (value === undefined) return "nothing"
  if (Array.isArray(value)) return `an array (${value.length} items)`
  if (typeof value === "object") return "an object"
  if (typeof value === "function" || typeof value === "symbol") return typeof value
  return String(value)
}

const segment = (key: PropertyKey) =>
  typeof key === "number"
    ? `[${key}]`
    : typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)
      ? `.${clip(key, MAX_KEY)}`
      : `[${JSON.stringify(clip(String(key), MAX_KEY))}]`

/** What a schema expects, in words: objects and arrays named, not printed field by field. */
const describe = (ast: AST.AST): string => {
  switch (ast._tag) {
    case "Transformation":
      return describe(ast.from)
    case "TypeLiteral":
      return "an object"
    case "TupleType":
      return "an array"
    case "Union":
      return [...new Set(ast.types.map(describe))].join(" | ")
    default:
      return String(ast)
  }
}
const expected = (ast: AST.AST) => clip(describe(ast), MAX_EXPECTED)

/** The first failure in the issue, as `path: what was wrong`. */
export const formatIssue = (issue: ParseResult.ParseIssue): string => {
  let path = ""
  let current = issue
  // Iterative, not recursive: deeply nested input must not exhaust the stack here either.
  for (;;) {
    switch (current._tag) {
      case "Pointer":
        for (const key of Array.isArray(current.path) ? current.path : [current.path]) path += segment(key)
        current = current.issue
        continue
      case "Refinement":
      case "Transformation":
        current = current.issue
        continue
      case "Composite":
        if (AST.isUnion(current.ast)) {
          return done(path, `expected ${expected(current.ast)}, got ${preview(current.actual)}`)
        }
        current = Array.isArray(current.issues)
          ? current.issues[0]!
          : (current.issues as ParseResult.ParseIssue)
        continue
      case "Missing":
        // The ast may be the property's signature; what is expected is its type.
        return done(
          path,
          `is missing (expected ${expected("type" in current.ast ? (current.ast.type as AST.AST) : current.ast)})`,
        )
      case "Unexpected":
        return done(path, `is unexpected, got ${preview(current.actual)}`)
      case "Forbidden":
        return done(path, "cannot be decoded here")
      case "Type":
        return done(path, `expected ${expected(current.ast)}, got ${preview(current.actual)}`)
    }
  }
}

const done = (path: string, what: string) => `${path === "" ? "the value" : path.replace(/^\./, "")}: ${what}`
