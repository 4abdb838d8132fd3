// The client against a real `codesearch serve` with the real encoder, on an indexed copy of
// tests/fixtures/repos/shop. Run by tests/editors/test_vscode_client.py, which sets
// CODESEARCH_TEST_REPO, CODESEARCH_TEST_SERVER_CMD and a private XDG_RUNTIME_DIR.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import {
  CodesearchClient,
  connectOrStart,
  defaultSocketPath,
  RpcError,
  runtimeDir,
  StartOptions,
  USER_ERROR,
} from "../src/client";

const repo = process.env.CODESEARCH_TEST_REPO ?? "";
const serverCommand = JSON.parse(process.env.CODESEARCH_TEST_SERVER_CMD ?? "null") as string[] | null;
const skip = repo === "" || serverCommand === null ? "set CODESEARCH_TEST_REPO and CODESEARCH_TEST_SERVER_CMD" : false;

function lineOf(file: string, needle: string): number {
  return fs.readFileSync(file, "utf8").split("\n").findIndex((line) => line.includes(needle)) + 1;
}

describe("a real codesearch server", { skip }, () => {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "cs-vscode-"));
  const logPath = path.join(logDir, "server.log");
  const options = (): StartOptions => ({ serverCommand: serverCommand ?? [], startTimeoutMs: 120_000, logPath });
  let client: CodesearchClient;

  before(async () => {
    await assert.rejects(CodesearchClient.connect(), { code: "ENOENT" }, "a server is already running");
    client = await connectOrStart(options());
  });

  after(async () => {
    await client.stopServer();
    assert.match(await client.closed, /closed the connection/); // the server closes it as it stops
    fs.rmSync(logDir, { recursive: true, force: true });
  });

  test("the socket is where the Python side puts it", (t) => {
    assert.equal(defaultSocketPath(), path.join(process.env.XDG_RUNTIME_DIR ?? "", "codesearch", "server.sock"));
    const info = JSON.parse(fs.readFileSync(path.join(runtimeDir(), "server.json"), "utf8"));
    t.diagnostic(`server pid ${info.pid}`); // the driver checks that the server ends after the tests
  });

  test("search answers with the hits of `codesearch ask --json`", async () => {
    const result = await client.search("multiply two matrices", { k: 5, root: repo });
    assert.equal(result.root, repo);
    const { path: file, start_line, end_line, qualified_name, kind, language } = result.hits[0];
    assert.deepEqual(
      { file, start_line, end_line, qualified_name, kind, language },
      { file: "tools/Matrix.java", start_line: 6, end_line: 14, qualified_name: "Matrix.multiply", kind: "method",
        language: "java" },
    );
    assert.equal(result.hits.length, 5);
  });

  test("overlapping requests get their own answers", async () => {
    const queries: [string, string][] = [
      ["hash a password with a random salt", "hash_password"],
      ["retry an http request with exponential backoff", "fetchWithRetry"],
      ["turn a title into a url slug", "slugify"],
    ];
    const results = await Promise.all(queries.map(([query]) => client.search(query, { k: 3, root: repo })));
    assert.deepEqual(results.map((result) => result.hits[0].qualified_name), queries.map(([, name]) => name));
  });

  test("filters apply to the search", async () => {
    const result = await client.search("read the settings from a json file", { k: 3, root: repo, languages: ["go"] });
    assert.deepEqual(new Set(result.hits.map((hit) => hit.language)), new Set(["go"]));
  });

  test("similar finds the sibling of the function at a line", async () => {
    const passwords = path.join(repo, "server", "passwords.py");
    const result = await client.similar(passwords, lineOf(passwords, "def verify_password") + 1, 3);
    const names = result.hits.map((hit) => hit.qualified_name);
    assert.ok(names.includes("hash_password") && !names.includes("verify_password"), names.join(", "));
  });

  test("errors meant for the user come back as RpcError", async () => {
    await assert.rejects(client.search("   ", { root: repo }), (error: RpcError) => {
      assert.equal(error.code, USER_ERROR);
      assert.match(error.message, /empty/);
      return true;
    });
  });

  test("a second client finds the running server instead of starting another", async () => {
    const second = await connectOrStart({ ...options(), serverCommand: ["false"] });
    try {
      const status = await second.request<{ server: { connections: number } }>("status");
      assert.ok(status.server.connections >= 2);
    } finally {
      second.close();
    }
  });
});

test("a server that cannot start is reported with its output", async () => {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "cs-vscode-"));
  const start = connectOrStart({
    serverCommand: ["sh", "-c", "echo 'no model here' >&2; exit 3", "sh"],
    socketPath: path.join(logDir, "none.sock"),
    logPath: path.join(logDir, "server.log"),
  });
  try {
    await assert.rejects(start, /exited with 3:\nno model here/);
  } finally {
    fs.rmSync(logDir, { recursive: true, force: true });
  }
});
