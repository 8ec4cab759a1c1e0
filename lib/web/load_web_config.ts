/**
 * Loading a `--web.config.file`: reading the YAML file, resolving the file paths it names against
 * its directory, and loading and checking the TLS material (certificate, key, client CA). The
 * parsing itself is `web_config.ts`.
 *
 * @module
 */

import { dirname, isAbsolute, join, resolve } from "@std/path";
import { createPrivateKey, X509Certificate } from "node:crypto";
import {
  type ClientAuthType,
  type ParsedWebConfig,
  parseWebConfig,
  type TlsConfig,
  type TlsVersion,
  WebConfigError,
} from "@lib/web/web_config.ts";

/** TLS settings with the PEM material loaded and checked: what a listener needs. */
export interface TlsSettings {
  /** Server certificate chain, PEM. */
  cert: string;
  /** Server private key, PEM. */
  key: string;
  /** CA certificates for client certificates, PEM. */
  ca?: string;
  /** Client certificate policy. */
  clientAuthType: ClientAuthType;
  /** SANs one of which the client certificate must carry, when configured. */
  clientAllowedSans?: string[];
  /** Lowest accepted version. */
  minVersion: TlsVersion;
  /** Highest accepted version. */
  maxVersion: TlsVersion;
  /** Whether HTTP/2 may be negotiated. */
  http2: boolean;
}

/** A loaded web configuration: parsed file plus loaded TLS material. */
export interface WebConfig extends Omit<ParsedWebConfig, "tls"> {
  /** TLS settings ready for a listener; `undefined` for plain HTTP. */
  tls?: TlsSettings;
  /** The configuration file and every file it names (for change detection). */
  files: string[];
}

function resolveIn(baseDir: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  return isAbsolute(path) ? path : join(baseDir, path);
}

/**
 * Resolves the file paths of a TLS configuration the way exporter-toolkit does: relative paths
 * against the configuration file's directory, absolute paths as they are.
 *
 * @param tls The parsed TLS configuration.
 * @param baseDir The configuration file's directory.
 * @returns A copy with `certFile`, `keyFile` and `clientCaFile` resolved.
 * @example
 * ```ts
 * import { resolveTlsPaths } from "@lib/web/load_web_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const tls = resolveTlsPaths({
 *   certFile: "server.crt",
 *   keyFile: "/abs/server.key",
 *   clientAuthType: "NoClientCert",
 *   minVersion: "TLS12",
 *   maxVersion: "TLS13",
 * }, "/etc/pg");
 * assertEquals([tls.certFile, tls.keyFile], ["/etc/pg/server.crt", "/abs/server.key"]);
 * ```
 */
export function resolveTlsPaths(tls: TlsConfig, baseDir: string): TlsConfig {
  return {
    ...tls,
    certFile: resolveIn(baseDir, tls.certFile),
    keyFile: resolveIn(baseDir, tls.keyFile),
    clientCaFile: resolveIn(baseDir, tls.clientCaFile),
  };
}

async function readPem(path: string, what: string, configPath: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new WebConfigError(
      `${configPath}: failed to read ${what} (${path}): ${e instanceof Error ? e.message : e}`,
    );
  }
}

/**
 * Loads the PEM material a TLS configuration names and checks it: the certificate parses, the key
 * matches it, and the client CA text holds at least one certificate.
 *
 * @param tls The parsed TLS configuration.
 * @param http2 Whether HTTP/2 may be negotiated.
 * @param configPath Name of the configuration file, for messages.
 * @returns Settings for a listener.
 * @throws {WebConfigError} when a file is missing or its content is unusable.
 */
export async function loadTlsSettings(
  tls: TlsConfig,
  http2: boolean,
  configPath: string,
): Promise<TlsSettings> {
  const cert = tls.certFile !== undefined
    ? await readPem(tls.certFile, "cert_file", configPath)
    : tls.cert as string;
  const key = tls.keyFile !== undefined
    ? await readPem(tls.keyFile, "key_file", configPath)
    : tls.key as string;
  const ca = tls.clientCaFile !== undefined
    ? await readPem(tls.clientCaFile, "client_ca_file", configPath)
    : tls.clientCa;
  const fail = (detail: string): never => {
    throw new WebConfigError(`${configPath}: failed to load X509KeyPair: ${detail}`);
  };
  let x509: X509Certificate | undefined;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    fail(`cannot parse the certificate: ${e instanceof Error ? e.message : e}`);
  }
  let ok = false;
  try {
    ok = (x509 as X509Certificate).checkPrivateKey(createPrivateKey(key));
  } catch (e) {
    fail(`cannot parse the private key: ${e instanceof Error ? e.message : e}`);
  }
  if (!ok) fail("private key does not match public key");
  if (ca !== undefined) {
    const blocks = ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    try {
      if (blocks.length === 0) throw new Error("no certificate found");
      for (const b of blocks) new X509Certificate(b);
    } catch (e) {
      throw new WebConfigError(
        `${configPath}: client CA certificates are unusable: ${e instanceof Error ? e.message : e}`,
      );
    }
  }
  return {
    cert,
    key,
    ca,
    clientAuthType: tls.clientAuthType,
    clientAllowedSans: tls.clientAllowedSans,
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    http2,
  };
}

/**
 * Reads, parses and validates a web configuration file, and loads the TLS material it names.
 *
 * @param path Path of the YAML file; relative paths inside it resolve against its directory.
 * @returns The loaded configuration.
 * @throws {WebConfigError} with a message naming the file (and line and column when they apply).
 */
export async function loadWebConfig(path: string): Promise<WebConfig> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(absolute);
  } catch (e) {
    throw new WebConfigError(
      `Cannot read web config file ${path}: ${e instanceof Error ? e.message : e}`,
    );
  }
  const parsed = parseWebConfig(text, path);
  const files = [absolute];
  let tls: TlsSettings | undefined;
  if (parsed.tls !== undefined) {
    const resolved = resolveTlsPaths(parsed.tls, dirname(absolute));
    tls = await loadTlsSettings(resolved, parsed.http2, path);
    for (const f of [resolved.certFile, resolved.keyFile, resolved.clientCaFile]) {
      if (f !== undefined) files.push(f);
    }
  }
  return { ...parsed, tls, files };
}
