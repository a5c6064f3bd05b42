import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'

/**
 * The shapes of argo 1.0.1 (which ships no types) that the plugin touches,
 * as its argo.js and environment.js define them. argo itself is not
 * imported: the plugin only receives these objects.
 */

/** What argo's reply path (the response ender in argo.js build()) sends, read from env.response.body. */
export type ArgoBody = string | Buffer | NodeJS.ReadableStream | Record<string, unknown> | null | undefined

/** argo adds `body` (and reads an optional `headers` object) on the ServerResponse. */
export type ArgoResponse = ServerResponse & { body?: ArgoBody; headers?: OutgoingHttpHeaders }

/** The target's response as argo's `_target` leaves it: headers already copied onto env.response, body unread. */
export type ArgoTargetResponse = IncomingMessage & { body?: Buffer | string | null }

/** environment.js's Environment, one per request. */
export interface ArgoEnv {
  request: IncomingMessage
  response: ArgoResponse
  target: { url?: string | null; response?: ArgoTargetResponse | null; skip?: boolean }
  argo: Record<string, unknown>
  [name: string]: unknown
}

export type ArgoNext = (env: ArgoEnv) => void
export type ArgoHandler = (env: ArgoEnv, next: ArgoNext) => void

/** The `handle` function a plugin passed to `argo().use()` is called with (Builder#buildHandler). */
export interface ArgoHandle {
  (event: 'request' | 'response', handler: ArgoHandler): void
  (event: 'request' | 'response', options: { affinity?: 'hoist' | 'sink' }, handler: ArgoHandler): void
}

/** A plugin in the form `argo().use()` takes. */
export type ArgoPlugin = (handle: ArgoHandle) => void

/** The argo instance as a package's `install` sees it. */
export interface ArgoHost {
  use(plugin: ArgoPlugin | ArgoPackage): ArgoHost
}

/** A package in the form `argo().include()` (and `use()`) takes. */
export interface ArgoPackage {
  package(argo: ArgoHost): { name: string; install(): void }
}

/** An argo app, as the tests and examples drive it: `argo().use(...).target(url).build().run` is a node:http listener. */
export interface ArgoApp extends ArgoHost {
  use(plugin: ArgoPlugin | ArgoPackage): ArgoApp
  include(pkg: ArgoPackage): ArgoApp
  target(url: string): ArgoApp
  /** A route served by argo itself; `get`, `post`… filter by method. */
  route(path: string, plugin: ArgoPlugin): ArgoApp
  get(path: string, plugin: ArgoPlugin): ArgoApp
  /** A sub-app for the paths under `path` (argo.js map()). */
  map(path: string, setup: (server: ArgoApp) => void): ArgoApp
  listen(port: number, host?: string): ArgoApp
  build(): { run(req: IncomingMessage, res: ServerResponse): void }
}
