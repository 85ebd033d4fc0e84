/**
 * Temporary directories for tests, under the system's temp dir (`TMPDIR` is honoured). Every one is
 * removed after its test file, whether its tests passed or failed (`test/support/setup.ts`).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const made: Array<string> = []

/** A new empty directory named `gatherarr-<prefix>-…`, removed after the test file. */
export const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `gatherarr-${prefix}-`))
  made.push(dir)
  return dir
}

/** Removes every directory `tempDir` made so far. */
export const removeTempDirs = (): void => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
}
