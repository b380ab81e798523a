// Copies the GOV.UK Frontend style sheet and script (pinned in tools/package.json) into the
// console's static files: `node tools/vendor-govuk.mjs`. The GDS Transport typeface is
// licensed to GOV.UK services only, so its @font-face rules are dropped and the console falls
// back to Arial, as GOV.UK Frontend itself does for services off GOV.UK.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = process.argv[2] ?? join(root, "tools/node_modules/govuk-frontend/dist/govuk");
const to = join(root, "internal/console/static/govuk");
mkdirSync(to, { recursive: true });

const css = readFileSync(join(from, "govuk-frontend.min.css"), "utf8")
  .replace(/@font-face\{[^}]*\}/g, "")
  .replaceAll("GDS Transport,", "")
  .replace(/\/\*# sourceMappingURL=.*?\*\//g, "");
writeFileSync(join(to, "govuk-frontend.min.css"), css);
const js = readFileSync(join(from, "govuk-frontend.min.js"), "utf8").replace(/\/\/# sourceMappingURL=.*$/m, "");
writeFileSync(join(to, "govuk-frontend.min.js"), js);
const { version } = JSON.parse(readFileSync(join(from, "../../package.json"), "utf8"));
writeFileSync(join(to, "VERSION"), `govuk-frontend ${version} (MIT licence), vendored by tools/vendor-govuk.mjs\n`);
