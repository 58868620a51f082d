// The proof checker page: reads the form, calls the WebAssembly checker (the same code as
// `oid4vci proof check` and `oid4vci offer decode`), and shows the verdict. Nothing is sent
// anywhere.
import init, { check_proof, decode_offer } from "./pkg/oid4vci_proof_wasm.js";

const $ = (id) => document.getElementById(id);

function b64urlJson(part) {
  try {
    const text = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function options() {
  const value = (id) => $(id).value.trim();
  let jwks = [];
  const jwkText = value("attester_jwks");
  if (jwkText) {
    const parsed = JSON.parse(jwkText);
    jwks = Array.isArray(parsed) ? parsed : [parsed];
  }
  return {
    aud: value("aud"),
    nonce: value("nonce"),
    client_id: value("client_id"),
    anonymous: $("anonymous").checked,
    now: value("now") || String(Math.floor(Date.now() / 1000)),
    max_age: value("max_age"),
    max_skew: value("max_skew"),
    allow_self_signed: $("allow_self_signed").checked,
    trust_anchors: value("trust_anchors"),
    attester_trust_anchors: value("attester_trust_anchors"),
    attester_jwks: jwks,
  };
}

function showVerdict(element, report, validText) {
  element.hidden = false;
  element.className = "verdict " + (report.valid ? "valid" : "invalid");
  element.textContent = report.valid
    ? validText(report)
    : `Invalid: ${report.code || report.error}` + (report.reason ? ` — ${report.reason}` : "");
  element.dataset.code = report.valid ? "valid" : report.code || report.error || "";
}

function showDiagnostic(report) {
  const body = $("diagnostic").querySelector("tbody");
  body.replaceChildren();
  const rows = report.valid
    ? [["proof type", report.proof_type], ["alg", report.alg], ["key source", report.key_source],
       ["holder keys", (report.holder_key_thumbprints || []).join("\n")], ["skipped", (report.skipped || []).join(", ")]]
    : [["code", report.code], ["error", report.error], ["reason", report.reason], ["help", report.help],
       ["expected", report.expected], ["found", report.found], ["spec section", report.spec_ref],
       ["skipped", (report.skipped || []).join(", ")]];
  for (const [name, value] of rows) {
    if (value === undefined || value === "") continue;
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    const td = document.createElement("td");
    td.textContent = value;
    td.dataset.field = name;
    tr.append(th, td);
    body.append(tr);
  }
  $("diagnostic").hidden = false;
}

function check(event) {
  event.preventDefault();
  const jwt = $("jwt").value.trim();
  let report;
  try {
    report = JSON.parse(check_proof(jwt, JSON.stringify(options())));
  } catch (e) {
    report = { valid: false, error: "invalid_options", reason: String(e.message || e) };
  }
  $("report").textContent = JSON.stringify(report, null, 2);
  showVerdict($("verdict"), report, (r) => `Valid ${r.proof_type} proof (${r.alg}, key from ${r.key_source})`);
  showDiagnostic(report);
  const [h, c] = jwt.split(".");
  const header = report.header || b64urlJson(h || "");
  const claims = report.claims || b64urlJson(c || "");
  $("proof-header").textContent = header ? JSON.stringify(header, null, 2) : "(not a JWT)";
  $("proof-claims").textContent = claims ? JSON.stringify(claims, null, 2) : "(not a JWT)";
  $("decoded").hidden = false;
}

function decode(event) {
  event.preventDefault();
  const report = JSON.parse(decode_offer($("offer").value));
  showVerdict($("offer-verdict"), { ...report, code: report.error }, (r) =>
    r.by === "value" ? `Valid offer from ${r.credential_issuer}` : "Valid offer by reference");
  $("offer-report").hidden = false;
  $("offer-report").textContent = JSON.stringify(report, null, 2);
}

const started = performance.now();
init().then(() => {
  $("proof-form").addEventListener("submit", check);
  $("offer-form").addEventListener("submit", decode);
  $("check").disabled = false;
  $("decode").disabled = false;
  const ms = Math.round(performance.now() - started);
  $("status").textContent = `Checker ready (${ms} ms).`;
  document.body.dataset.ready = String(ms);
}, (e) => {
  $("status").textContent = `The checker could not load: ${e}`;
});
