import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { describe, expect, it } from "vitest"
import * as S from "../../src/arr/schema.ts"
import { formatIssue, preview } from "../../src/DecodeIssue.ts"

const failure = <A, I>(schema: Schema.Schema<A, I>, value: unknown) => {
  const result = Schema.decodeUnknownEither(schema)(value)
  if (Either.isRight(result)) throw new Error("expected a decode failure")
  return formatIssue(result.left.issue)
}

describe("decode failures name the first bad field, what was expected and what came", () => {
  it.each([
    [
      "a wrong type deep in a record",
      Schema.Struct({ records: Schema.Array(S.Movie) }),
      {
        records: [
          { id: 1, monitored: true },
          { id: 2, monitored: "true" },
        ],
      },
      'records[1].monitored: expected boolean, got "true"',
    ],
    ["a missing field", S.PagedEnvelope, { records: [] }, "totalRecords: is missing (expected number)"],
    [
      "a union",
      Schema.Array(S.HistoryRecord),
      [{ id: 1, date: "x", eventType: true }],
      "[0].eventType: expected string | number, got true",
    ],
    ["not an object at all", S.Command, "hello", 'the value: expected an object, got "hello"'],
    [
      "a key that is no identifier",
      Schema.Record({ key: Schema.String, value: Schema.Number }),
      { "movie:7": "x" },
      'the value["movie:7"]: expected number, got "x"'.replace("the value", ""),
    ],
  ])("%s", (_, schema, value, message) => {
    expect(failure(schema as Schema.Schema<unknown, unknown>, value)).toBe(message)
  })

  it("shows a value only briefly: strings shortened, containers named", () => {
    expect(preview("x".repeat(1000))).toBe(`"${"x".repeat(40)}…"`)
    expect(preview([1, 2, 3])).toBe("an array (3 items)")
    expect(preview({ a: 1 })).toBe("an object")
    expect(preview(null)).toBe("null")
    expect(preview(Number.POSITIVE_INFINITY)).toBe("Infinity")
  })

  it("a huge or deeply nested value costs no more than a small one to describe", () => {
    let deep: unknown = 1
    for (let i = 0; i < 200_000; i++) deep = [deep]
    // Schema's own message would print the value (and overflow the stack on this one).
    const message = failure(Schema.Struct({ records: Schema.Array(Schema.Number) }), { records: deep })
    expect(message).toBe("records[0]: expected number, got an array (1 items)")
    const huge = { records: [...Array.from({ length: 100_000 }, () => 1), "x".repeat(10_000_000)] }
    const bounded = failure(Schema.Struct({ records: Schema.Array(Schema.Number) }), huge)
    expect(bounded).toBe(`records[100000]: expected number, got "${"x".repeat(40)}…"`)
  })
})
