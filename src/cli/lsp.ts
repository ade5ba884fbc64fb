// `gancc lsp`: starts the language server (src/lsp) on stdin/stdout. The server is loaded only
// when this command runs, so other commands do not pay for it.
import { Command, Option } from "commander";

export function lspCommand(): Command {
  return new Command("lsp")
    .description("run the language server for editors (Language Server Protocol over stdin/stdout)")
    .option("--stdio", "talk over stdin/stdout (the default and only transport; editors pass it)")
    .addOption(new Option("--debounce <ms>", "wait this long after a change before checking again").default(100).argParser((v) => Math.max(0, Number(v) || 0)))
    .option("--no-worker", "check on the server's own thread instead of a worker thread")
    .addOption(new Option("--clientProcessId <pid>", "the editor's process id (exit when it is gone)").hideHelp())
    .addHelpText(
      "after",
      `
Editors start it as \`gancc lsp --stdio\` (editors/vscode, or vim.lsp.start in Neovim: see editors/README.md).
Settings (workspace/configuration section "gancc"): set ({"ngf": 8} or ["ngf=8"]), size, inlayHints.`,
    )
    .action(async (o: { debounce: number; worker: boolean }) => {
      // stdout carries the protocol: anything printed by mistake goes to stderr instead
      console.log = console.info = (...args: unknown[]) => void process.stderr.write(args.map(String).join(" ") + "\n");
      const { startServer } = await import("../lsp/index.js");
      startServer(process.stdin, process.stdout, { debounceMs: o.debounce, checker: o.worker ? "worker" : "inline" });
    });
}
