// The docs API already sanitises; this second pass guards against a backend bug becoming an XSS.
const DROP = new Set(["SCRIPT", "IFRAME", "OBJECT", "EMBED", "STYLE", "LINK", "META", "BASE", "FORM", "FRAME", "FRAMESET"]);
const URL_ATTRS = new Set(["href", "src", "xlink:href", "action", "formaction", "poster"]);

export function sanitizeHtml(html: string): string {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  const walk = (node: Element) => {
    for (const child of [...node.children]) {
      if (DROP.has(child.tagName.toUpperCase())) {
        child.remove();
        continue;
      }
      for (const attr of [...child.attributes]) {
        const name = attr.name.toLowerCase();
        const value = attr.value.trim().toLowerCase().replace(/\s+/g, "");
        // Inline style attributes would also trip the strict CSP and log a console error.
        if (name.startsWith("on") || name === "style" || name === "srcdoc") child.removeAttribute(attr.name);
        else if (URL_ATTRS.has(name) && (value.startsWith("javascript:") || value.startsWith("vbscript:") || (value.startsWith("data:") && !value.startsWith("data:image/")))) {
          child.removeAttribute(attr.name);
        }
      }
      if (child.tagName === "A" && /^https?:/i.test(child.getAttribute("href") ?? "")) {
        child.setAttribute("rel", "noopener noreferrer");
        child.setAttribute("target", "_blank");
      }
      walk(child);
    }
  };
  walk(doc.body);
  return doc.body.innerHTML;
}
