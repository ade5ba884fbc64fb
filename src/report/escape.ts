/**
 * Escaping for text that goes into HTML or SVG (element content and quoted attribute
 * values alike), and into the path part of a relative URL.
 */

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escape `& < > " '` so any string is safe as HTML/SVG/XML text or a quoted attribute value. */
export function escapeHtml(s: unknown): string {
  // control characters other than tab/newline are not allowed in XML: drop them
  return String(s)
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

/**
 * A relative file path as a URL path: each segment percent-encoded (spaces, `#`, `?`, `%`,
 * `\` and non-ASCII would otherwise break the link), `/` kept. `\` separates segments only
 * where it is the platform's separator (`windows`, default: this platform is Windows); on
 * POSIX it is an ordinary character of a file name and is encoded as `%5C`.
 * The result still needs `escapeHtml` when put in an attribute (it is a no-op on it).
 */
export function urlPath(relPath: string, windows = process.platform === "win32"): string {
  return relPath
    .split(windows ? /[\\/]/ : /\//)
    .map((seg) => (seg === "." || seg === ".." ? seg : encodeURIComponent(seg)))
    .join("/");
}
