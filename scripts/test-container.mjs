// `npm run test:container`: finds a container engine that can build the image, then runs the
// container smoke test (test/container) with it. Where none can, it says in one line what is missing
// and how to get it, and exits 1.
//
// - docker, where `docker info` reaches an engine: the Dockerfile's default base image.
// - otherwise podman with a base image it has locally: NODE_IMAGE if set; on CI machines without a
//   registry, the stand-in that ../shared/tools/offline-node-image.sh builds; else node:24-alpine,
//   pulled if podman can reach a registry.
import { spawn, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const DEFAULT_BASE = "docker.io/library/node:24-alpine"

const succeeds = (command, args, timeout = 30_000) =>
  spawnSync(command, args, { stdio: "ignore", timeout }).status === 0

const give = (line) => {
  process.stderr.write(`test:container: ${line}\n`)
  process.exit(1)
}

const podmanBase = () => {
  const wanted = process.env.NODE_IMAGE
  if (wanted) {
    if (succeeds("podman", ["image", "exists", wanted])) return wanted
    give(`podman has no image ${wanted} (NODE_IMAGE): build or load it first, or unset NODE_IMAGE`)
  }
  const offline = join(root, "..", "shared", "tools", "offline-node-image.sh")
  if (existsSync(offline)) {
    const built = spawnSync("bash", [offline], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })
    if (built.status === 0 && built.stdout.trim() !== "") return built.stdout.trim()
    give(`${offline} could not build a local base image (exit ${built.status})`)
  }
  if (succeeds("podman", ["image", "exists", DEFAULT_BASE])) return DEFAULT_BASE
  if (succeeds("podman", ["pull", "--quiet", DEFAULT_BASE], 180_000)) return DEFAULT_BASE
  return give(
    `no container engine can build the image: docker has no running engine, and podman has no local base image and cannot pull ${DEFAULT_BASE} (start docker, run "podman pull ${DEFAULT_BASE}" where a registry is reachable, or set NODE_IMAGE to a local Node image)`,
  )
}

const engine = succeeds("docker", ["info"])
  ? "docker"
  : succeeds("podman", ["--version"])
    ? "podman"
    : give(
        "no container engine: install docker (with a running engine), or podman with a local Node base image (NODE_IMAGE=<image>, or podman pull node:24-alpine)",
      )
const base = engine === "podman" ? podmanBase() : undefined

const vitest = spawn(
  process.execPath,
  [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "vitest.container.config.ts"],
  {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      GATHERARR_CONTAINER_ENGINE: engine,
      ...(base ? { GATHERARR_CONTAINER_BASE: base } : {}),
    },
  },
)
vitest.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
