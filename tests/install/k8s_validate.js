// Validate Kubernetes manifests against the API's OpenAPI schemas, as
// embedded in the npm package kubernetes-models (ajv, no cluster needed).
//   NODE_PATH=DIR/node_modules node k8s_validate.js FILE...
// Prints one line per object ("ok KIND NAME" or "invalid KIND NAME: why")
// and exits 1 when any object is invalid or of a kind it cannot check.
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

// Kinds the deployment uses, by apiVersion/kind.
const models = {
  "v1/Namespace": () => require("kubernetes-models/v1").Namespace,
  "v1/ServiceAccount": () => require("kubernetes-models/v1").ServiceAccount,
  "v1/Service": () => require("kubernetes-models/v1").Service,
  "v1/ConfigMap": () => require("kubernetes-models/v1").ConfigMap,
  "apps/v1/DaemonSet": () => require("kubernetes-models/apps/v1").DaemonSet,
};

let bad = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of yaml.loadAll(fs.readFileSync(file, "utf8"))) {
    if (!doc) continue;
    const key = doc.apiVersion + "/" + doc.kind;
    const name = (doc.metadata && doc.metadata.name) || "?";
    const model = models[key];
    if (!model) {
      console.log("unchecked " + key + " " + name);
      bad++;
      continue;
    }
    try {
      new (model())(doc).validate();
      console.log("ok " + key + " " + name);
    } catch (e) {
      console.log("invalid " + key + " " + name + ": " + String(e.message || e).replace(/\s+/g, " "));
      bad++;
    }
  }
}
process.exit(bad ? 1 : 0);
