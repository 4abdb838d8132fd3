// The VS Code side: "codesearch: Ask" (a live QuickPick), "codesearch: Find similar" (editor
// context menu) and "codesearch: Stop the server". The protocol lives in client.ts.

import * as path from "path";
import * as vscode from "vscode";
import { CodesearchClient, connectOrStart, Hit, HitsResult } from "./client";

const KIND_ICONS: Record<Hit["kind"], string> = {
  function: "$(symbol-function)",
  method: "$(symbol-method)",
  class: "$(symbol-class)",
  block: "$(symbol-namespace)", // code outside any definition
  imports: "$(package)", // a window of only imports
  section: "$(book)", // a heading's section of a document
  window: "$(file-text)", // lines of a text file
};

interface HitItem extends vscode.QuickPickItem {
  file?: string; // absolute
  line?: number; // 1-based
}

let connection: Promise<CodesearchClient> | undefined;

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand("codesearch.ask", () => ask(context)),
    vscode.commands.registerCommand("codesearch.findSimilar", () => findSimilar(context)),
    vscode.commands.registerCommand("codesearch.stopServer", stopServer),
  );
}

export function deactivate(): void {
  // The server is shared with other editors of this user: close the connection, leave it running.
  void connection?.then((client) => client.close(), () => undefined);
  connection = undefined;
}

function settings() {
  const config = vscode.workspace.getConfiguration("codesearch");
  return {
    serverCommand: config.get<string[]>("serverCommand", ["codesearch", "serve"]),
    socketPath: config.get<string>("socketPath", "") || undefined,
    k: config.get<number>("resultCount", 20),
    debounceMs: config.get<number>("debounceMs", 200),
  };
}

/** The open connection, or a new one (starting `codesearch serve` when none listens). */
async function client(context: vscode.ExtensionContext): Promise<CodesearchClient> {
  const open = await connection?.catch(() => undefined);
  if (open && !open.isClosed) {
    return open;
  }
  const { serverCommand, socketPath } = settings();
  const logPath = path.join(context.logUri.fsPath, "server.log");
  await vscode.workspace.fs.createDirectory(context.logUri);
  connection = connectOrStart({ serverCommand, socketPath, logPath });
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "codesearch: connecting to the server" },
    () => connection as Promise<CodesearchClient>,
  );
}

/** Where a search starts: the active file's folder, else the first workspace folder. */
function searchRoot(): string | undefined {
  const document = vscode.window.activeTextEditor?.document;
  if (document?.uri.scheme === "file") {
    return path.dirname(document.uri.fsPath);
  }
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function toItems(result: HitsResult): HitItem[] {
  return result.hits.map((hit) => ({
    label: `${KIND_ICONS[hit.kind] ?? ""} ${hit.qualified_name}`,
    description: `${hit.path}:${hit.start_line}`,
    detail: hit.docstring_summary || hit.signature || undefined,
    alwaysShow: true, // semantic hits rarely contain the typed words: keep VS Code from filtering them out
    file: path.join(result.root, hit.path),
    line: hit.start_line,
  }));
}

async function open(item: HitItem | undefined): Promise<void> {
  if (item?.file === undefined || item.line === undefined) {
    return;
  }
  const position = new vscode.Position(item.line - 1, 0);
  await vscode.window.showTextDocument(vscode.Uri.file(item.file), {
    selection: new vscode.Range(position, position),
  });
}

function errorItem(error: unknown): HitItem {
  return { label: `$(error) ${(error as Error).message}`, alwaysShow: true };
}

/** A QuickPick that searches as the user types, once typing pauses for debounceMs. */
async function ask(context: vscode.ExtensionContext): Promise<void> {
  const root = searchRoot();
  if (root === undefined) {
    void vscode.window.showErrorMessage("codesearch: open a file or a folder first");
    return;
  }
  const { k, debounceMs } = settings();
  const pick = vscode.window.createQuickPick<HitItem>();
  pick.title = "codesearch: Ask";
  pick.placeholder = "Describe what the code does, e.g. 'retry a request with backoff'";
  let latest = 0; // only the answer to the latest text is shown
  let timer: NodeJS.Timeout | undefined;
  pick.onDidChangeValue((value) => {
    clearTimeout(timer);
    const query = ++latest;
    if (value.trim() === "") {
      pick.items = [];
      pick.busy = false;
      return;
    }
    timer = setTimeout(async () => {
      pick.busy = true;
      const items = await client(context)
        .then((c) => c.search(value, { k, root }))
        .then(toItems, (error) => [errorItem(error)]);
      if (query === latest) {
        pick.items = items;
        pick.busy = false;
      }
    }, debounceMs);
  });
  pick.onDidAccept(() => {
    void open(pick.selectedItems[0]);
    pick.hide();
  });
  pick.onDidHide(() => {
    clearTimeout(timer);
    pick.dispose();
  });
  pick.show();
}

async function findSimilar(context: vscode.ExtensionContext): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.uri.scheme !== "file") {
    void vscode.window.showErrorMessage("codesearch: Find similar works on a file open in an editor");
    return;
  }
  const file = editor.document.uri.fsPath;
  const line = editor.selection.active.line + 1;
  try {
    const result = await (await client(context)).similar(file, line, settings().k);
    const chosen = await vscode.window.showQuickPick(toItems(result), {
      title: `codesearch: similar to ${path.basename(file)}:${line}`,
      matchOnDescription: true,
    });
    await open(chosen);
  } catch (error) {
    void vscode.window.showErrorMessage(`codesearch: ${(error as Error).message}`);
  }
}

async function stopServer(): Promise<void> {
  const open = await connection?.catch(() => undefined);
  connection = undefined;
  try {
    const target = open && !open.isClosed ? open : await CodesearchClient.connect(settings().socketPath);
    await target.stopServer();
    target.close();
    void vscode.window.showInformationMessage("codesearch: the server is stopping");
  } catch (error) {
    void vscode.window.showErrorMessage(`codesearch: ${(error as Error).message}`);
  }
}
