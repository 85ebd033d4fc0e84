/** Gatherarr's version, as in package.json (a test holds them equal); sent as `User-Agent: gatherarr/<version>`. */
export const VERSION = "0.1.0"
