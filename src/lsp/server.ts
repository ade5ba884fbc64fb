// The language server: documents, debounced checks, and one handler per feature. Every
// handler and every check runs behind a guard: an internal error is logged to the client and
// the last good state is kept, so no text can take the server down.
import { fileURLToPath } from "node:url";
import {
  type Connection,
  type InitializeResult,
  ResponseError,
  ErrorCodes,
  LogMessageNotification,
  MessageType,
  TextDocumentSyncKind,
  TextDocuments,
  type TextEdit,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { GANCC_VERSION } from "../compiler/compile.js";
import { format } from "../dsl/index.js";
import { codeActions } from "./actions.js";
import { type Analysis, DEFAULT_SETTINGS, type Settings, analyze } from "./analysis.js";
import { type Checker, inlineChecker, workerChecker } from "./checker.js";
import { complete } from "./completion.js";
import { offsetAt, rangeOf, toLspDiagnostic } from "./convert.js";
import { hover } from "./hover.js";
import { modelOf } from "./model.js";
import { documentSymbols, inlayHints } from "./outline.js";
import { prepareRename, rename } from "./rename.js";

export interface ServerOptions {
  /**
   * Milliseconds without a change before a document is checked again (default 100). The
   * wait grows to the time the last check took (at most a second), so a large spec is
   * checked when typing pauses, not on every keystroke.
   */
  debounceMs?: number;
  /** where checks run: "inline" on this thread (default), or "worker" on a worker thread (gancc lsp) */
  checker?: "inline" | "worker";
  /** the check, inline (default: `analyze`); tests replace it to see how the server survives an internal error */
  check?: typeof analyze;
}

interface DocState {
  timer?: ReturnType<typeof setTimeout>;
  /** the last successful check */
  analysis?: Analysis;
  /** a version whose check failed internally (not retried) */
  failed?: number;
  /** the check under way */
  running?: { version: number; done: Promise<Analysis | undefined> };
}

/** The file name the compiler reports for a document. */
export function fileOfUri(uri: string): string {
  if (uri.startsWith("file:")) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

/** Reads `gancc.*` settings leniently: `set` as an object or as ["name=value", …]. */
export function readSettings(raw: unknown): Settings {
  const s: Settings = { ...DEFAULT_SETTINGS, set: {} };
  if (!raw || typeof raw !== "object") return s;
  const r = raw as Record<string, unknown>;
  if (Array.isArray(r.set)) {
    for (const x of r.set) {
      if (typeof x !== "string") continue;
      const eq = x.indexOf("=");
      if (eq > 0) s.set[x.slice(0, eq).trim()] = x.slice(eq + 1).trim();
    }
  } else if (r.set && typeof r.set === "object") {
    for (const [k, v] of Object.entries(r.set as Record<string, unknown>)) {
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") s.set[k] = v;
    }
  }
  if (typeof r.size === "number" && Number.isInteger(r.size) && r.size > 0) s.size = r.size;
  if (typeof r.inlayHints === "boolean") s.inlayHints = r.inlayHints;
  return s;
}

export function createServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  let settings: Settings = { ...DEFAULT_SETTINGS };
  let canRefreshHints = false;
  let shutDown = false;
  let canPullConfiguration = false;
  const base = options.debounceMs ?? 100;

  // messages for the editor's log (window/logMessage); nothing goes to a terminal
  const logAs = (type: MessageType, message: string) => {
    try {
      void connection.sendNotification(LogMessageNotification.type, { type, message }).catch(() => undefined);
    } catch {
      // the connection is gone: nobody to tell
    }
  };
  const log = (msg: string) => logAs(MessageType.Log, msg);
  const internal = (what: string, e: unknown) => logAs(MessageType.Error, `gancc: internal error ${what} (please report it): ${(e as Error)?.stack ?? String(e)}`);

  const state = (uri: string): DocState => {
    let s = states.get(uri);
    if (!s) states.set(uri, (s = {}));
    return s;
  };

  let checker: Checker = options.checker === "worker" ? workerChecker((m) => logAs(MessageType.Warning, m)) : inlineChecker(options.check);

  /** Runs the check of `uri`'s latest text; on an internal error, logs it and keeps the last good state. */
  const run = async (uri: string, st: DocState): Promise<Analysis | undefined> => {
    // one check per document at a time
    if (st.running) await st.running.done;
    const doc = documents.get(uri);
    if (!doc || states.get(uri) !== st) return st.analysis;
    if (st.analysis?.version === doc.version || st.failed === doc.version) return st.analysis;
    const used = settings;
    const version = doc.version;
    let a: Analysis;
    try {
      a = await checker.check(doc.getText(), fileOfUri(uri), version, used);
    } catch (e) {
      if (used === settings) st.failed = version;
      internal(`while checking ${uri} (version ${version}); keeping the last good state`, e);
      return st.analysis;
    }
    if (used !== settings || states.get(uri) !== st) return st.analysis; // settings changed or document closed meanwhile
    if (!st.analysis || a.version >= st.analysis.version) {
      st.analysis = a;
      st.failed = undefined;
      try {
        void connection.sendDiagnostics({ uri, version: a.version, diagnostics: a.diagnostics.map((d) => toLspDiagnostic(d, a.source, uri)) }).catch(() => undefined);
        if (canRefreshHints && settings.inlayHints) void connection.languages.inlayHint.refresh().catch(() => undefined);
      } catch (e) {
        // the connection is gone (a check that finished after shutdown)
        if (!shutDown) internal(`publishing the diagnostics of ${uri}`, e);
      }
    }
    return st.analysis;
  };

  /** The check of the document's current version: the last one if current, the one under way, or a new one now. */
  const ensure = (doc: TextDocument): Promise<Analysis | undefined> => {
    const st = state(doc.uri);
    if (st.analysis?.version === doc.version || st.failed === doc.version) return Promise.resolve(st.analysis);
    if (st.running && st.running.version >= doc.version) return st.running.done;
    if (st.timer) clearTimeout(st.timer);
    st.timer = undefined;
    const done = run(doc.uri, st).catch((e: unknown) => {
      internal(`while checking ${doc.uri}`, e);
      return st.analysis;
    });
    const running = { version: doc.version, done };
    st.running = running;
    void done.finally(() => {
      if (st.running === running) st.running = undefined;
    });
    return done;
  };

  const schedule = (doc: TextDocument) => {
    const st = state(doc.uri);
    if (st.timer) clearTimeout(st.timer);
    const wait = Math.max(base, Math.min(1000, Math.round(st.analysis?.ms ?? 0)));
    st.timer = setTimeout(() => {
      st.timer = undefined;
      const current = documents.get(doc.uri);
      if (current) void ensure(current);
    }, wait);
  };

  /** The document and its check, brought up to date (a request waits for a pending check). */
  const current = async (uri: string): Promise<{ doc: TextDocument; a: Analysis } | undefined> => {
    const doc = documents.get(uri);
    if (!doc) return undefined;
    const a = await ensure(doc);
    return a && { doc, a };
  };

  /** Runs a request handler behind the guard. */
  const guard =
    <P extends { textDocument: { uri: string } }, R>(what: string, fallback: R, f: (p: P, doc: TextDocument, a: Analysis) => R, fresh: () => boolean = () => true) =>
    async (p: P): Promise<R> => {
      try {
        let c: { doc: TextDocument; a: Analysis } | undefined;
        if (fresh()) c = await current(p.textDocument.uri);
        else {
          // answered from the last check, without waiting for the next one
          const doc = documents.get(p.textDocument.uri);
          const a = doc && (states.get(doc.uri)?.analysis ?? (await ensure(doc)));
          c = doc && a && { doc, a };
        }
        return c ? f(p, c.doc, c.a) : fallback;
      } catch (e) {
        if (e instanceof ResponseError) throw e;
        internal(`in ${what}`, e);
        return fallback;
      }
    };

  const offsetIn = (a: Analysis, pos: { line: number; character: number }) => offsetAt(a.source, pos);

  connection.onInitialize((params): InitializeResult => {
    canRefreshHints = Boolean(params.capabilities.workspace?.inlayHint?.refreshSupport);
    canPullConfiguration = Boolean(params.capabilities.workspace?.configuration);
    const init = params.initializationOptions as Record<string, unknown> | undefined;
    if (init) settings = readSettings(init.gancc ?? init);
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        completionProvider: { triggerCharacters: [":", "(", ",", " "] },
        documentFormattingProvider: true,
        documentSymbolProvider: true,
        inlayHintProvider: true,
        codeActionProvider: { codeActionKinds: ["quickfix"] },
      },
      serverInfo: { name: "gancc", version: GANCC_VERSION },
    };
  });

  const recheckAll = () => {
    for (const doc of documents.all()) {
      const st = state(doc.uri);
      st.analysis = undefined;
      st.failed = undefined;
      schedule(doc);
    }
  };

  const pullSettings = async () => {
    if (!canPullConfiguration) return;
    try {
      const [raw] = (await connection.workspace.getConfiguration([{ section: "gancc" }])) as unknown[];
      if (raw && typeof raw === "object") {
        settings = readSettings(raw);
        recheckAll();
      }
    } catch (e) {
      log(`gancc: could not read the settings: ${(e as Error).message}`);
    }
  };

  connection.onInitialized(() => {
    void pullSettings();
  });

  connection.onDidChangeConfiguration((p) => {
    try {
      const raw = (p.settings as Record<string, unknown> | undefined)?.gancc;
      if (raw && typeof raw === "object") {
        settings = readSettings(raw);
        recheckAll();
      } else void pullSettings();
    } catch (e) {
      internal("reading the settings", e);
    }
  });

  documents.onDidOpen((e) => {
    // (re)opened: check it afresh, whatever was known under its name
    const st = states.get(e.document.uri);
    if (st?.timer) clearTimeout(st.timer);
    states.delete(e.document.uri);
    void ensure(e.document);
  });
  documents.onDidChangeContent((e) => schedule(e.document));
  documents.onDidClose((e) => {
    const st = states.get(e.document.uri);
    if (st?.timer) clearTimeout(st.timer);
    states.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onHover(guard("hover", null, (p, _doc, a) => hover(a, modelOf(a), offsetIn(a, p.position)) ?? null));

  connection.onDefinition(
    guard("definition", null, (p, doc, a) => {
      const m = modelOf(a);
      const key = m.keyOf(m.at(offsetIn(a, p.position)));
      const def = key ? m.defs.get(key) : undefined;
      return def ? { uri: doc.uri, range: rangeOf(a.source, def.span) } : null;
    }),
  );

  connection.onReferences(
    guard("references", null, (p, doc, a) => {
      const m = modelOf(a);
      const key = m.keyOf(m.at(offsetIn(a, p.position)));
      if (!key) return null;
      const def = m.defs.get(key);
      const spans = p.context.includeDeclaration ? m.occurrences(key) : (m.refs.get(key) ?? []);
      if (!def && !spans.length) return null;
      return spans.map((s) => ({ uri: doc.uri, range: rangeOf(a.source, s) }));
    }),
  );

  connection.onPrepareRename(
    guard("prepare rename", null, (p, _doc, a) => {
      const r = prepareRename(a, modelOf(a), offsetIn(a, p.position));
      if ("error" in r) throw new ResponseError(ErrorCodes.InvalidRequest, r.error);
      return r;
    }),
  );

  connection.onRenameRequest(
    guard("rename", null, (p, doc, a) => {
      const r = rename(a, modelOf(a), doc.uri, offsetIn(a, p.position), p.newName);
      if ("error" in r) throw new ResponseError(ErrorCodes.InvalidRequest, r.error);
      return r;
    }),
  );

  connection.onCompletion(
    guard(
      "completion",
      [],
      // the context comes from the text as typed; the names from the last check (no waiting for the next)
      (p, doc, a) => complete(a, modelOf(a), doc.getText(), doc.offsetAt(p.position)),
      () => false,
    ),
  );

  connection.onDocumentFormatting(
    guard("formatting", null, (_p, doc, a): TextEdit[] | null => {
      const text = doc.getText();
      const r = format(text, a.file);
      if (r.output === undefined) {
        log(`gancc: ${doc.uri} has syntax errors; not formatted`);
        return null;
      }
      if (r.output === text) return [];
      return [{ range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, newText: r.output }];
    }),
  );

  connection.onDocumentSymbol(guard("document symbols", null, (_p, _doc, a) => documentSymbols(a)));

  // hints come from the last check when the client can be told to ask again after the next one
  // (so asking for hints does not start a check while the user types)
  connection.languages.inlayHint.on(
    guard("inlay hints", null, (p, _doc, a) => (a.settings.inlayHints ? inlayHints(a, modelOf(a), p.range) : []), () => !canRefreshHints),
  );

  connection.onCodeAction(guard("code actions", null, (p, doc, a) => codeActions(a, doc.uri, p.range)));

  connection.onShutdown(() => {
    shutDown = true;
    checker.dispose();
    checker = inlineChecker(options.check);
  });

  documents.listen(connection);
}
