/**
 * The way back to the official Pushgateway: `--persistence.export-upstream`
 * writes the content of the persistence file as an official persistence file
 * (Go gob), which upstream's `--persistence.file` restores, and exits. It
 * runs in the release binary, so no Deno or Go is needed for it.
 *
 * @module
 */

import { readPersistenceFile } from "@lib/store/persistence.ts";
import { encodeOfficialFile } from "@lib/store/official_format.ts";
import { writeFileAtomic } from "@lib/store/durable_file.ts";

/** The logger methods used here (the application logger has them). */
export interface ExportLogger {
  /** Logs at info level. */
  info(msg: string, attrs?: Record<string, unknown>): void;
  /** Logs at error level. */
  error(msg: string, attrs?: Record<string, unknown>): void;
}

/** Options of {@linkcode exportOfficialFile}. */
export interface ExportOptions {
  /** The persistence file to read (`--persistence.file`), in our format or the official one. */
  readonly from: string;
  /** The official file to write (`--persistence.export-upstream`); must not exist. */
  readonly to: string;
  /** Where to report. */
  readonly logger: ExportLogger;
}

/**
 * Writes the groups of `from` to the new file `to` in the official
 * Pushgateway's format: grouping labels, every family and the push times (to
 * the microsecond). Reading has no side effects on `from`, so a running
 * gateway's file can be exported, though stopping the gateway first (its
 * shutdown writes the latest state) is what gives the newest data. An
 * existing `to` is never overwritten. Every outcome is one log line.
 *
 * @returns The process exit code: 0 when written, 1 otherwise.
 */
export async function exportOfficialFile(options: ExportOptions): Promise<number> {
  const { from, to, logger } = options;
  if (from === "") {
    logger.error("--persistence.export-upstream needs --persistence.file, the file to convert");
    return 1;
  }
  try {
    await Deno.lstat(to);
    logger.error("will not overwrite an existing file; remove it or choose another name", {
      file: to,
    });
    return 1;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      logger.error("cannot write the exported file", { file: to, err });
      return 1;
    }
  }
  let content;
  try {
    content = await readPersistenceFile(from);
  } catch (err) {
    const msg = err instanceof Deno.errors.NotFound
      ? "nothing to export: the persistence file does not exist"
      : "could not read the persistence file";
    logger.error(msg, { file: from, err });
    return 1;
  }
  try {
    await writeFileAtomic(to, encodeOfficialFile(content.groups));
  } catch (err) {
    logger.error("could not write the exported file", { file: to, err });
    return 1;
  }
  logger.info(
    "wrote the metrics in the official Pushgateway's persistence format; start it with --persistence.file set to this file",
    { from, to, groups: content.groups.length, source_format: content.format },
  );
  return 0;
}
