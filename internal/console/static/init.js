// Progressive enhancement only: every page works without it. GOV.UK Frontend's components
// (error summary focus, radios, skip link) start when the browser supports them.
import { initAll } from "./govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
  initAll();
}
