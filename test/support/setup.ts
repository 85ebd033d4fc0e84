/** Loaded before every test file (vitest `setupFiles`): what a file's tests leave is removed. */
import { afterAll } from "vitest"
import { removeTempDirs } from "./temp.ts"

afterAll(removeTempDirs)
