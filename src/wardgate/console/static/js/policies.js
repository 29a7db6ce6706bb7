// Policies: validate the draft as it is typed (the page's buttons still do it without JavaScript).
import { api } from "./console.js";

const text = document.getElementById("policy-text");
const status = document.getElementById("live-validation");
let timer = 0;
let last = "";

async function validate() {
  const draft = text.value;
  if (draft === last || !draft.trim()) return;
  last = draft;
  try {
    const result = await api("/api/policies/validate", { method: "POST", body: { text: draft } });
    status.className = `small ${result.valid ? "ok-text" : "bad-text"}`;
    status.textContent = result.valid ? "✓ valid Cedar" : `✗ ${result.errors[0] ?? "invalid"}`;
  } catch {
    status.textContent = "";
  }
}

if (text && status) {
  text.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(validate, 600);
  });
}
