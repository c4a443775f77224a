// What a reader of each rendered comment trips over, found in the browser (tests/render_harness.py builds the page).
// Each <article class="doc"> holds one comment as cmark-gfm rendered it; checkAll() renders its Mermaid blocks
// the way GitHub shows them (scaled to the comment width) and returns one report per article.
"use strict";

// What GitHub's sanitiser keeps of raw HTML in a comment (the bot writes only <details>/<summary> itself).
const MARKDOWN_TAGS = new Set([
  "P", "H1", "H2", "H3", "H4", "H5", "H6", "UL", "OL", "LI", "STRONG", "EM", "DEL", "CODE", "PRE", "A",
  "TABLE", "THEAD", "TBODY", "TR", "TH", "TD", "BLOCKQUOTE", "HR", "BR", "INPUT", "DETAILS", "SUMMARY",
  "IMG", "SECTION", "SUP", "DIV", "SPAN",
]);

const LEAKS = [
  // (`__init__.py` is a name, not failed emphasis: underscores inside a word or path are left alone)
  ["bold or emphasis markers", /\*\*\S[^*]*\*\*|(^|\s)__\S[^_]*__(?=\s|$|[.,;:!?])/],
  ["backslash escape", /\\[!-\/:-@\[-`{-~]/],
  ["entity", /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);/i],
  ["mermaid entity code", /#\d{2,5};/],
  ["backtick", /`/],
  ["tag", /<\/?[a-z][a-z0-9-]*(?:\s[^<>]*)?>/i],
  ["link syntax", /\[[^\]\n]+\]\([^)\n]+\)/],
];
const LINE_START = /^(?:[-*+] |#{1,6} |> |\d+[.)] )/;
const MENTION = /(^|[^\w`\/])@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\/[\w.-]+)?)/g;
const ISSUE_REF = /(^|[^\w&\/])#(\d+)\b/g;
const OTHER_REF = /(^|[^\w])(GH-\d+|[\w.-]+\/[\w.-]+#\d+)\b/gi;
const SHA = /(^|[^\w])([0-9a-f]{7,40})(?![\w])/gi;

function visibleTextNodes(root) {
  const out = [];
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el && el !== root; el = el.parentElement) {
        if (el.tagName === "CODE" || el.tagName === "PRE" || el.classList.contains("diagram")) {
          return NodeFilter.FILTER_REJECT;
        }
      }
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  for (let n = walk.nextNode(); n; n = walk.nextNode()) out.push(n);
  return out;
}

function where(node) {
  const el = node.parentElement;
  return el ? el.tagName.toLowerCase() : "?";
}

function textChecks(article, report, allowedRefs, exempt) {
  const nodes = visibleTextNodes(article.querySelector(".body"));
  for (const node of nodes) {
    const text = node.nodeValue;
    if (!text.trim()) continue;
    for (const [what, re] of LEAKS) {
      const m = text.match(re);
      if (m && !exempt.some((e) => e.includes(m[0].trim()) || m[0].includes(e))) {
        report.leaks.push({ what, where: where(node), text: text.slice(0, 160) });
      }
    }
    // A line of a paragraph that starts with a list/heading/quote marker: markdown that did not parse.
    const el = node.parentElement;
    if (el && (el.tagName === "P" || el.tagName === "LI" || el.tagName === "TD") &&
        (node.previousSibling === null || node.previousSibling.tagName === "BR") && LINE_START.test(text) &&
        !exempt.some((e) => text.includes(e))) {
      report.leaks.push({ what: "line marker", where: where(node), text: text.slice(0, 160) });
    }
    if (el && el.tagName === "P" && (text.match(/\|/g) || []).length >= 2 && !exempt.some((e) => text.includes(e))) {
      report.leaks.push({ what: "table pipes in a paragraph", where: "p", text: text.slice(0, 160) });
    }
    for (const m of text.matchAll(MENTION)) report.mentions.push("@" + m[2]);
    for (const m of text.matchAll(ISSUE_REF)) {
      if (!allowedRefs.has(Number(m[2]))) report.refs.push("#" + m[2]);
    }
    for (const m of text.matchAll(OTHER_REF)) report.refs.push(m[2]);
    for (const m of text.matchAll(SHA)) {
      if (/[a-f]/i.test(m[2]) && /\d/.test(m[2])) report.refs.push(m[2]);
    }
  }
}

function htmlChecks(article, report, allowedLinks) {
  for (const el of article.querySelector(".body").querySelectorAll("*")) {
    if (!MARKDOWN_TAGS.has(el.tagName) && !el.closest(".diagram")) {
      report.html.push(el.tagName.toLowerCase());
    }
    if (el.tagName === "A") {
      const href = el.getAttribute("href") || "";
      if (!allowedLinks.some((p) => href.startsWith(p))) report.links.push(href);
    }
    for (const attr of el.attributes || []) {
      if (attr.name.startsWith("on") || attr.name === "style") report.html.push(el.tagName.toLowerCase() + "[" + attr.name + "]");
    }
  }
  for (const p of article.querySelectorAll(".body p")) {
    // cmark-gfm makes a table of every valid one: pipes left in a paragraph's line are a table that broke.
    if (/^\s*\|.*\|\s*$/m.test(p.textContent)) report.leaks.push({ what: "table pipes in a paragraph", where: "p", text: p.textContent.slice(0, 160) });
  }
}

function luminance(rgb) {
  const m = rgb.match(/[\d.]+/g);
  if (!m) return null;
  const [r, g, b] = m.slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a, b) {
  const la = luminance(a), lb = luminance(b);
  if (la === null || lb === null) return null;
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

// The lowest contrast between a node's label and its fill, over the nodes of one rendered diagram.
function worstContrast(holder) {
  let worst = null;
  for (const node of holder.querySelectorAll("g.node")) {
    const shape = node.querySelector("rect, polygon, circle, path");
    const label = node.querySelector(".nodeLabel, text, span");
    if (!shape || !label) continue;
    const fill = getComputedStyle(shape).fill;
    const color = getComputedStyle(label).color || getComputedStyle(label).fill;
    if (!fill || fill === "none" || !color) continue;
    const c = contrast(fill, color);
    if (c !== null && (worst === null || c < worst)) worst = c;
  }
  return worst;
}

let counter = 0;

async function diagramChecks(article, report) {
  for (const pre of article.querySelectorAll('.body pre[lang="mermaid"]')) {
    const source = pre.textContent;
    const entry = { ok: false, error: null, scale: null, size: null, contrast: {} };
    for (const theme of ["default", "dark"]) {
      const holder = document.createElement("div");
      holder.className = "diagram " + theme;
      pre.parentNode.insertBefore(holder, pre);
      try {
        mermaid.initialize({ startOnLoad: false, theme, securityLevel: "strict", suppressErrorRendering: true });
        const { svg } = await mermaid.render("m" + counter++, source);
        holder.innerHTML = svg;
        const el = holder.querySelector("svg");
        const vb = el.viewBox && el.viewBox.baseVal;
        if (theme === "default" && vb && vb.width) {
          entry.size = [Math.round(vb.width), Math.round(vb.height)];
          entry.scale = +(Math.min(el.getBoundingClientRect().width / vb.width, 1)).toFixed(2);
        }
        entry.contrast[theme] = worstContrast(holder);
        for (const t of holder.querySelectorAll(".nodeLabel, .edgeLabel, text")) {
          if (/#\d{2,5};|&(?:amp|lt|gt|quot);/.test(t.textContent)) {
            report.leaks.push({ what: "entity in a diagram label", where: "svg", text: t.textContent.slice(0, 120) });
          }
        }
        entry.ok = true;
      } catch (err) {
        entry.ok = false;
        entry.error = String((err && err.message) || err).slice(0, 300);
      }
      if (theme === "dark") holder.remove();
      if (!entry.ok) break;
    }
    report.diagrams.push(entry);
  }
}

window.checkAll = async function checkAll() {
  const out = [];
  for (const article of document.querySelectorAll("article.doc")) {
    const report = { id: article.dataset.id, leaks: [], mentions: [], refs: [], links: [], html: [], diagrams: [] };
    const allowedRefs = new Set(JSON.parse(article.dataset.refs || "[]"));
    const allowedLinks = JSON.parse(article.dataset.links || "[]");
    const exempt = JSON.parse(article.dataset.exempt || "[]");
    try {
      htmlChecks(article, report, allowedLinks);
      await diagramChecks(article, report);
      textChecks(article, report, allowedRefs, exempt);
    } catch (err) {
      report.error = String(err && err.stack || err).slice(0, 500);
    }
    out.push(report);
  }
  return out;
};
window.pageReady = true;
