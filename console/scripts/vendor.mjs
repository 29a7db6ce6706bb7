// Copy the console's npm dependencies into the Python package (src/wardgate/console/static/vendor)
// and write MANIFEST.json: package, version, licence and the SHA-256 of every copied file, which
// the test suite checks, so a vendored file edited by hand (or a stale copy) fails `make check`.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const out = join(root, "..", "src", "wardgate", "console", "static", "vendor");

const wanted = {
  uplot: {
    "dist/uPlot.iife.min.js": "uPlot.iife.min.js",
    "dist/uPlot.min.css": "uPlot.min.css",
    LICENSE: "uPlot.LICENSE.txt",
  },
};

mkdirSync(out, { recursive: true });
const manifest = { generated_by: "console/scripts/vendor.mjs", packages: {} };
for (const [name, files] of Object.entries(wanted)) {
  const base = join(root, "node_modules", name);
  const meta = JSON.parse(readFileSync(join(base, "package.json"), "utf8"));
  const entry = { version: meta.version, license: meta.license, files: {} };
  for (const [from, to] of Object.entries(files)) {
    copyFileSync(join(base, from), join(out, to));
    entry.files[to] = createHash("sha256").update(readFileSync(join(out, to))).digest("hex");
  }
  manifest.packages[name] = entry;
}
writeFileSync(join(out, "MANIFEST.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`vendored ${Object.keys(wanted).join(", ")} into ${out}`);
