import { createSecureContext } from "node:tls";
import {
  describeSource,
  InvalidOptionError,
  type OptionSource,
} from "../errors/invalid-option-error.js";
import type { OptionReader } from "../options/option-reader.js";
import { clientOptionTable as table } from "./client-option-table.js";
import type { ClientOptions, ClientTlsOptions } from "./client-options.js";

/**
 * A client's TLS settings: `tls` and, field by field where it lacks one, the `*_FILE` variables.
 * Undefined for http:// and for https:// with Node's defaults. Each value must be PEM, a cert needs
 * its key and a key its cert, and OpenSSL must load them now rather than at the first call, where
 * each transport words the failure differently.
 */
export function resolveTls(
  options: ClientOptions,
  baseUrl: string,
  reader: OptionReader,
): ClientTlsOptions | undefined {
  const https = baseUrl.startsWith("https:");
  // An explicit http:// baseUrl beats TLS files in the environment, as any option beats its
  // variable; `tls` given with it, or both from the environment, is a mistake to report.
  if (options.tls === undefined && options.baseUrl !== undefined && !https) return undefined;
  const ca = reader.read(table["tls.ca"]);
  const cert = reader.read(table["tls.cert"]);
  const key = reader.read(table["tls.key"]);
  const certFile = reader.variableOf(table["tls.cert"]);
  const keyFile = reader.variableOf(table["tls.key"]);
  if ((cert === undefined) !== (key === undefined)) {
    throw new InvalidOptionError(
      reader.sourceOf(cert === undefined ? table["tls.key"] : table["tls.cert"]),
      `a client certificate needs its key and a key its certificate: give both tls.cert and tls.key (or ${certFile} and ${keyFile})`,
    );
  }
  if (ca === undefined && cert === undefined && options.tls === undefined) return undefined;

  // Named as a whole: the option, or the variables that are set.
  const fromFiles = (
    [
      [table["tls.ca"], ca],
      [table["tls.cert"], cert],
      [table["tls.key"], key],
    ] as const
  )
    .filter(([, value]) => value !== undefined)
    .map(([entry]) => reader.sourceOf(entry))
    .filter((source) => source.fromEnvironment);
  const source: OptionSource =
    options.tls === undefined
      ? (fromFiles[0] as OptionSource)
      : { option: "tls", fromEnvironment: false };
  const named =
    options.tls === undefined ? listed(fromFiles.map((file) => file.option)) : "option `tls`";
  const resolved: ClientTlsOptions = {
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined || key === undefined ? {} : { cert, key }),
  };
  try {
    if (ca !== undefined || cert !== undefined) createSecureContext(resolved);
  } catch (error) {
    throw new InvalidOptionError(
      source,
      `${named}: OpenSSL cannot load them (${(error as Error).message}); check that each is PEM and that the key belongs to the certificate`,
    );
  }
  if (!https) {
    throw new InvalidOptionError(
      source,
      `${named} ${fromFiles.length > 1 && options.tls === undefined ? "are" : "is"} set, but ${describeSource(reader.sourceOf(table.baseUrl))} is not https:// (got "${baseUrl}")`,
    );
  }
  return resolved;
}

/** "A", "A and B", "A, B and C". */
function listed(names: readonly string[]): string {
  return names.length < 2
    ? (names[0] ?? "")
    : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}
