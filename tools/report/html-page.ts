/**
 * A complete, self-contained HTML document for the reports (graph, run, batch): styles and
 * scripts are inlined, and a Content-Security-Policy forbids loading anything else, so the page
 * opens offline and can never reach the network (no CDN, no fonts, no images but data: URLs).
 */

/** What `htmlPage` puts in the document. */
export interface HtmlPageParts {
  /** The page title (plain text; escaped here). */
  title: string;
  /** CSS, inlined in a `<style>` element. */
  style: string;
  /** The body's HTML, as is (escape any text in it with `escapeHtml`). */
  body: string;
  /** JavaScript, inlined in a `<script>` element at the end of the body. */
  script?: string;
}

/** The Content-Security-Policy of every report page: nothing but inline styles, inline scripts and data: images. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text (or an attribute value) made safe to put in HTML or SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Inlined content must not close its own element early (`</style>`, `</script>` inside it). */
function inline(content: string, tag: 'style' | 'script'): string {
  return content.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

/** A complete HTML document: doctype, charset, CSP, title, inline style, body, optional inline script. */
export function htmlPage(parts: HtmlPageParts): string {
  const script = parts.script ? `\n<script>\n${inline(parts.script, 'script')}\n</script>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(parts.title)}</title>
<style>
${inline(parts.style, 'style')}
</style>
</head>
<body>
${parts.body}${script}
</body>
</html>
`;
}
