"""deploy/daemonset.yaml: valid against the Kubernetes API schema, and the
fields that make it work here hold together.

Two layers, both offline:
- schema: the OpenAPI schemas of the Kubernetes API as embedded in the npm
  package kubernetes-models (validated with ajv by k8s_validate.js), installed
  once under /var/cache/rsttrace-npm, outside the repository. These schemas,
  like the API server's, do not reject unknown fields.
- structure (python3-yaml): selector = template labels, the capabilities of
  the systemd unit and nothing else, every mount a volume, the readiness
  probe on the --ready-file the args pass, resources, downward-API identity,
  Prometheus port, options the binary accepts, and no misspelt key in the
  objects that carry them (securityContext, container, volume mounts).
"""
import os
import re
import subprocess

import yaml

from common import REPO, check, run, test

MANIFEST = os.path.join(REPO, "deploy", "daemonset.yaml")
NPM_DIR = "/var/cache/rsttrace-npm"
NPM_PKGS = ["kubernetes-models@4.5.1", "js-yaml@5.5.0"]
VALIDATOR = os.path.join(REPO, "tests", "install", "k8s_validate.js")
UNIT = os.path.join(REPO, "packaging", "rsttrace.service.in")

CONTAINER_KEYS = {"name", "image", "imagePullPolicy", "command", "args", "env", "envFrom",
                  "ports", "readinessProbe", "livenessProbe", "startupProbe", "resources",
                  "securityContext", "volumeMounts", "workingDir", "lifecycle",
                  "terminationMessagePath", "terminationMessagePolicy"}
SECURITY_KEYS = {"runAsUser", "runAsGroup", "runAsNonRoot", "privileged",
                 "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities",
                 "seccompProfile", "appArmorProfile", "procMount", "seLinuxOptions"}
MOUNT_KEYS = {"name", "mountPath", "readOnly", "subPath", "mountPropagation",
              "recursiveReadOnly"}


def npm_validator():
    """node with kubernetes-models and js-yaml: installed on first use."""
    mods = os.path.join(NPM_DIR, "node_modules")
    if not all(os.path.isdir(os.path.join(mods, p.rsplit("@", 1)[0])) for p in NPM_PKGS):
        os.makedirs(NPM_DIR, exist_ok=True)
        run(["npm", "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund",
             "--no-save"] + NPM_PKGS, timeout=300)
    return dict(os.environ, NODE_PATH=mods)


def validate(path):
    res = subprocess.run(["node", VALIDATOR, path], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=60, env=npm_validator())
    return res.returncode, res.stdout.strip()


@test("k8s_daemonset_schema")
def k8s_daemonset_schema():
    rc, out = validate(MANIFEST)
    check(rc == 0, "deploy/daemonset.yaml: %s" % out[-600:])
    lines = out.splitlines()
    check(len(lines) == 3 and all(l.startswith("ok ") for l in lines),
          "expected 3 valid objects: %r" % lines)
    check(any("apps/v1/DaemonSet" in l for l in lines), "no DaemonSet checked: %r" % lines)
    # The validator must be able to fail: the same file with one type error.
    with open(MANIFEST) as f:
        broken = f.read().replace("containerPort: 9464", 'containerPort: "9464"', 1)
    tmp = "/tmp/rtt-k8s-broken-%d.yaml" % os.getpid()
    with open(tmp, "w") as f:
        f.write(broken)
    try:
        rc, out = validate(tmp)
    finally:
        os.unlink(tmp)
    check(rc == 1 and "containerPort must be integer" in out,
          "a string containerPort was not rejected: %s" % out[-300:])


def unit_capabilities():
    with open(UNIT) as f:
        m = re.search(r"^CapabilityBoundingSet=(.*)$", f.read(), re.M)
    check(m, "no CapabilityBoundingSet= in the unit")
    return {c[len("CAP_"):] for c in m.group(1).split()}


def arg_after(args, opt):
    for i, a in enumerate(args):
        if a == opt and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(opt + "="):
            return a.split("=", 1)[1]
    return None


@test("k8s_daemonset_structure")
def k8s_daemonset_structure():
    with open(MANIFEST) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    by_kind = {d["kind"]: d for d in docs}
    check(set(by_kind) == {"Namespace", "ServiceAccount", "DaemonSet"},
          "kinds: %s" % sorted(by_kind))
    ds = by_kind["DaemonSet"]
    check(ds["apiVersion"] == "apps/v1", "apiVersion %s" % ds["apiVersion"])
    ns = by_kind["Namespace"]["metadata"]["name"]
    check(ds["metadata"]["namespace"] == ns and
          by_kind["ServiceAccount"]["metadata"]["namespace"] == ns, "objects in other namespaces")
    tmpl = ds["spec"]["template"]
    sel = ds["spec"]["selector"]["matchLabels"]
    labels = tmpl["metadata"]["labels"]
    check(sel and all(labels.get(k) == v for k, v in sel.items()),
          "selector %s does not match template labels %s" % (sel, labels))
    pod = tmpl["spec"]
    check(pod.get("serviceAccountName") == by_kind["ServiceAccount"]["metadata"]["name"],
          "serviceAccountName")
    check(pod.get("hostPID") is True, "hostPID must be true (owner attribution)")
    check(not pod.get("hostNetwork"), "hostNetwork is not needed")
    check(len(pod["containers"]) == 1, "one container expected")
    c = pod["containers"][0]
    check(set(c) <= CONTAINER_KEYS, "unknown container keys %s" % sorted(set(c) - CONTAINER_KEYS))

    sc = c["securityContext"]
    check(set(sc) <= SECURITY_KEYS, "unknown securityContext keys %s"
          % sorted(set(sc) - SECURITY_KEYS))
    check(sc.get("privileged") is False, "privileged must be false")
    check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation must be false")
    check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem must be true")
    check(sc["capabilities"].get("drop") == ["ALL"], "capabilities.drop must be [ALL]")
    want = unit_capabilities()
    check(set(sc["capabilities"].get("add", [])) == want,
          "capabilities.add %s, the unit's %s" % (sc["capabilities"].get("add"), sorted(want)))

    # Options: accepted by this binary, with the values the probe and port need.
    args = c["args"]
    check(c["command"][-1].endswith("/rsttrace"), "command %s" % c["command"])
    helptext = run([os.path.join(REPO, "rsttrace"), "--help"]).stdout
    for a in args:
        if a.startswith("--"):
            check(a.split("=", 1)[0] in helptext, "option %s not in --help" % a)
    check("--json" in args, "--json missing")
    ready = arg_after(args, "--ready-file")
    check(ready, "--ready-file missing")
    metrics = arg_after(args, "--metrics")
    check(metrics and metrics.startswith("0.0.0.0:"), "--metrics must listen on 0.0.0.0")
    port = int(metrics.rsplit(":", 1)[1])
    check(any(p["containerPort"] == port and p.get("name") == "metrics" for p in c["ports"]),
          "no container port %d named metrics" % port)
    ann = tmpl["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(port),
          "Prometheus annotations %s" % ann)
    check(c["readinessProbe"]["exec"]["command"] == ["test", "-f", ready],
          "readinessProbe %s, expected test -f %s" % (c["readinessProbe"], ready))

    # Mounts: each a declared volume; the ready file's directory a writable one.
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    for m in c["volumeMounts"]:
        check(set(m) <= MOUNT_KEYS, "unknown volumeMount keys %s" % sorted(set(m) - MOUNT_KEYS))
        check(m["name"] in volumes, "mount %s: no volume %s" % (m["mountPath"], m["name"]))
    check(len(volumes) == len(c["volumeMounts"]), "a volume is not mounted")
    for path in ("/sys/kernel/btf", "/sys/fs/cgroup", "/sys/kernel/tracing"):
        check(path in mounts, "no mount on %s" % path)
        check(mounts[path].get("readOnly") is True, "%s must be read-only" % path)
        check(volumes[mounts[path]["name"]].get("hostPath", {}).get("path") == path,
              "%s is not the host's" % path)
    ready_dir = os.path.dirname(ready)
    check(ready_dir in mounts and not mounts[ready_dir].get("readOnly")
          and "emptyDir" in volumes[mounts[ready_dir]["name"]],
          "the ready file's directory %s is no writable emptyDir mount" % ready_dir)

    res = c["resources"]
    check(res["requests"] == {"cpu": "50m", "memory": "32Mi"} and
          res["limits"] == {"cpu": "500m", "memory": "128Mi"}, "resources %s" % res)

    env = {e["name"]: e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
           for e in c["env"]}
    check(env == {"RSTTRACE_NODE_NAME": "spec.nodeName", "RSTTRACE_POD_NAME": "metadata.name",
                  "RSTTRACE_POD_NAMESPACE": "metadata.namespace"},
          "downward-API identity: %s" % env)
