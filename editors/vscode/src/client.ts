// A client of `codesearch serve`: JSON-RPC 2.0 over its Unix socket (codesearch/server/PROTOCOL.md),
// and starting the server when none listens. No vscode import: tested with `node --test`.

import { spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { encodeFrame, FrameDecoder } from "./framing";

/** One search result, exactly as `codesearch ask --json` prints it. */
export interface Hit {
  path: string; // relative to the repository root, POSIX separators
  start_line: number; // 1-based, inclusive
  end_line: number;
  name: string;
  qualified_name: string;
  kind: "function" | "method" | "class" | "block" | "imports" | "section" | "window";
  language: string;
  score: number;
  signature: string | null;
  docstring_summary: string | null;
  dense_rank: number | null;
  lexical_rank: number | null;
  code?: string;
}

/** The answer to `search` and `similar`. */
export interface HitsResult {
  root: string; // the repository, absolute
  hits: Hit[];
}

export interface SearchOptions {
  k?: number;
  root?: string; // a folder inside the repository: the server looks upwards for its index
  languages?: string[];
  path?: string; // a glob on the repo-relative path
}

export const USER_ERROR = -32000; // the message is written for the user
export const CONNECTION_CLOSED = -32800;
export const REQUEST_TIMEOUT = -32801;

/** A JSON-RPC error answer, or a broken connection (code CONNECTION_CLOSED). */
export class RpcError extends Error {
  constructor(message: string, readonly code: number, readonly data?: unknown) {
    super(message);
  }
}

/** Where the server keeps its socket: mirrors codesearch.config.user_runtime_dir(). */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && isDirectory(runtime)) {
    return path.join(runtime, "codesearch");
  }
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), ".cache");
  return path.join(cache, "codesearch", "run");
}

export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(runtimeDir(env), "server.sock");
}

function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

type Pending = { resolve: (result: unknown) => void; reject: (error: RpcError) => void; timer?: NodeJS.Timeout };

/** One connection to the server; requests may overlap (answers are matched by id). */
export class CodesearchClient {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedBy: string | null = null;
  private markClosed: (reason: string) => void = () => undefined;
  /** Settles with the reason once the connection is closed, by either side. */
  readonly closed: Promise<string> = new Promise((resolve) => (this.markClosed = resolve));

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => this.receive(chunk));
    socket.on("error", (error) => this.fail(error.message));
    socket.on("close", () => this.fail("the codesearch server closed the connection"));
  }

  /** Connect to the socket; rejects with the system error (code ENOENT, ECONNREFUSED) when no server listens. */
  static connect(socketPath: string = defaultSocketPath()): Promise<CodesearchClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ path: socketPath });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new CodesearchClient(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.closedBy !== null;
  }

  request<T>(method: string, params: object = {}, timeoutMs?: number): Promise<T> {
    if (this.closedBy !== null) {
      return Promise.reject(new RpcError(this.closedBy, CONNECTION_CLOSED));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { resolve: resolve as (result: unknown) => void, reject };
      if (timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new RpcError(`no answer to ${method} within ${timeoutMs} ms`, REQUEST_TIMEOUT));
        }, timeoutMs);
      }
      this.pending.set(id, entry);
      this.socket.write(encodeFrame({ jsonrpc: "2.0", id, method, params }));
    });
  }

  search(query: string, options: SearchOptions = {}): Promise<HitsResult> {
    return this.request<HitsResult>("search", { query, ...options });
  }

  /** The definitions most like the innermost one spanning `line` (1-based) of `filePath` (absolute). */
  similar(filePath: string, line: number, k?: number): Promise<HitsResult> {
    return this.request<HitsResult>("similar", { path: filePath, line, k });
  }

  /** Stop the whole server (it is shared by every client of this user). */
  async stopServer(): Promise<void> {
    await this.request<null>("shutdown", { server: true });
  }

  close(): void {
    this.socket.end();
    this.fail("closed by the client");
  }

  private receive(chunk: Buffer): void {
    let bodies: string[];
    try {
      bodies = this.decoder.push(chunk);
    } catch (error) {
      this.socket.destroy();
      return this.fail((error as Error).message);
    }
    for (const body of bodies) {
      this.dispatch(body);
    }
  }

  private dispatch(body: string): void {
    let message: { id?: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    try {
      message = JSON.parse(body);
    } catch {
      return; // the server only sends valid JSON; nothing to match this against
    }
    const entry = typeof message.id === "number" ? this.pending.get(message.id) : undefined;
    if (entry === undefined) {
      return; // notifications ($/progress, codesearch/indexUpdated) and late answers
    }
    this.pending.delete(message.id as number);
    clearTimeout(entry.timer);
    if (message.error) {
      entry.reject(new RpcError(message.error.message, message.error.code, message.error.data));
    } else {
      entry.resolve(message.result);
    }
  }

  private fail(reason: string): void {
    if (this.closedBy !== null) {
      return;
    }
    this.closedBy = reason;
    this.markClosed(reason);
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new RpcError(reason, CONNECTION_CLOSED));
    }
    this.pending.clear();
  }
}

export interface StartOptions {
  serverCommand: string[]; // e.g. ["codesearch", "serve"]
  socketPath?: string; // default: defaultSocketPath(); passed as --socket when given
  startTimeoutMs?: number; // a cold server loads the model first
  logPath?: string; // where the started server writes its output
  env?: NodeJS.ProcessEnv;
}

const RETRY_MS = 100;

function isNobodyListening(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ECONNREFUSED";
}

/** A connection to the running server, or to one started now (detached: it outlives the caller). */
export async function connectOrStart(options: StartOptions): Promise<CodesearchClient> {
  const socketPath = options.socketPath || defaultSocketPath(options.env);
  try {
    return await CodesearchClient.connect(socketPath);
  } catch (error) {
    if (!isNobodyListening(error)) {
      throw error;
    }
  }
  const server = startServer({ ...options, socketPath });
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    try {
      return await CodesearchClient.connect(socketPath);
    } catch (error) {
      if (!isNobodyListening(error)) {
        throw error;
      }
    }
    const failure = server.failure();
    if (failure !== null) {
      throw new Error(failure);
    }
    if (Date.now() > deadline) {
      throw new Error(`codesearch serve did not listen on ${socketPath} within ${options.startTimeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function defaultLogPath(): string {
  return path.join(os.tmpdir(), `codesearch-serve-${os.userInfo().uid}.log`);
}

/** Spawn the server; failure() says why it ended (with the end of its log), or null while it runs. */
function startServer(options: StartOptions): { failure: () => string | null } {
  const [program, ...args] = options.serverCommand;
  if (options.socketPath && options.socketPath !== defaultSocketPath(options.env)) {
    args.push("--socket", options.socketPath);
  }
  const logPath = options.logPath || defaultLogPath();
  const log = fs.openSync(logPath, "a", 0o600);
  const logStart = fs.fstatSync(log).size;
  let failure: string | null = null;
  const child = spawn(program, args, { detached: true, stdio: ["ignore", log, log], env: options.env });
  fs.closeSync(log); // the child has its own copy
  child.on("error", (error) => {
    failure = `cannot run ${program}: ${error.message}`;
  });
  child.on("exit", (code, signal) => {
    failure = `codesearch serve exited with ${code ?? signal}:\n${readFrom(logPath, logStart)}`;
  });
  child.unref();
  return { failure: () => failure };
}

function readFrom(file: string, offset: number): string {
  try {
    const text = fs.readFileSync(file);
    return text.subarray(Math.max(offset, text.length - 2000)).toString("utf8");
  } catch {
    return "";
  }
}
