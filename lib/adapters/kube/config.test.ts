import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { inClusterAccess, kubeconfigAccess, TokenFile } from "./config.js";
import { KubeConfigError } from "./errors.js";

let dir = "";
before(() => (dir = mkdtempSync(join(tmpdir(), "ironlb-kube-config-"))));
after(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

const kubeconfig = (cluster: string, user: string, context = "{cluster: c, user: u}"): string =>
  [
    "apiVersion: v1",
    "clusters:",
    "- name: c",
    `  cluster: ${cluster}`,
    "users:",
    "- name: u",
    `  user: ${user}`,
    "contexts:",
    `- {name: x, context: ${context}}`,
    "current-context: x",
  ].join("\n");

test("file paths are read relative to the kubeconfig; data fields are base64", () => {
  mkdirSync(join(dir, "pki"), { recursive: true });
  write("pki/ca.crt", "CA PEM");
  write("pki/client.key", "KEY PEM");
  const file = write(
    "paths.yaml",
    kubeconfig(
      "{server: 'https://10.0.0.1:6443/', certificate-authority: pki/ca.crt}",
      `{client-certificate-data: ${Buffer.from("CERT PEM").toString("base64")}, client-key: pki/client.key, tokenFile: tok}`,
    ),
  );
  const access = kubeconfigAccess(file);
  assert.equal(access.server, "https://10.0.0.1:6443");
  assert.equal(access.ca?.toString(), "CA PEM");
  assert.equal(access.cert?.toString(), "CERT PEM");
  assert.equal(access.key?.toString(), "KEY PEM");
  assert.equal(access.tokenFile, join(dir, "tok"));
  assert.equal(access.insecureSkipTLSVerify, false);
});

test("a kubeconfig that cannot work is refused naming the file and the field", () => {
  const cases: [string, string, RegExp][] = [
    ["{certificate-authority-data: eA==}", "{token: t}", /clusters\["c"\]\.server: missing/],
    ["{server: 10.0.0.1:6443}", "{token: t}", /clusters\["c"\]\.server: not a URL: 10\.0\.0\.1/],
    [
      "{server: 'https://a', certificate-authority: nope.crt}",
      "{token: t}",
      /clusters\["c"\]\.certificate-authority: cannot read .*nope\.crt/,
    ],
    ["{server: 'https://a'}", "{exec: {command: aws}}", /users\["u"\]\.exec: not supported/],
  ];
  for (const [i, [cluster, user, message]] of cases.entries()) {
    const file = write(`bad-${i}.yaml`, kubeconfig(cluster, user));
    assert.throws(
      () => kubeconfigAccess(file),
      (e: unknown) =>
        e instanceof KubeConfigError && message.test(e.message) && e.message.startsWith(file),
      `case ${i}`,
    );
  }
  const noContext = write("no-context.yaml", "apiVersion: v1\nclusters: []\n");
  assert.throws(() => kubeconfigAccess(noContext), /no-context\.yaml: current-context: missing/);
  const wrongUser = write(
    "wrong-user.yaml",
    kubeconfig("{server: 'https://a'}", "{}", "{cluster: c, user: v}"),
  );
  assert.throws(() => kubeconfigAccess(wrongUser), /users: no entry named "v"/);
});

test("in-cluster: the service address from the environment, CA and token from the files", () => {
  const sa = join(dir, "sa");
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, "ca.crt"), "CLUSTER CA");
  writeFileSync(join(sa, "token"), "sa-token\n");
  const v4 = inClusterAccess(
    { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" },
    sa,
  );
  assert.equal(v4.server, "https://10.96.0.1:443");
  assert.equal(v4.ca?.toString(), "CLUSTER CA");
  assert.equal(v4.tokenFile, join(sa, "token"));
  const v6 = inClusterAccess(
    { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" },
    sa,
  );
  assert.equal(v6.server, "https://[fd00::1]:443");
  assert.throws(
    () => inClusterAccess({}, sa),
    /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT/,
  );
  const empty = join(dir, "empty-sa");
  mkdirSync(empty, { recursive: true });
  const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
  assert.throws(() => inClusterAccess(env, empty), /cannot read .*empty-sa\/ca\.crt/);
  writeFileSync(join(empty, "ca.crt"), "CA");
  assert.throws(() => inClusterAccess(env, empty), /token file .*empty-sa\/token: cannot read/);
});

test("a token file keeps its last token while the file is briefly missing (rotation)", () => {
  const file = write("rotating", "one");
  const token = new TokenFile(file);
  assert.equal(token.read(0), "one");
  rmSync(file);
  assert.equal(token.read(120_000), "one");
  writeFileSync(file, "two");
  assert.equal(token.read(120_001), "two");
});
