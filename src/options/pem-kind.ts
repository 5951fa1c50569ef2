import { readFileSync } from "node:fs";
import {
  describeSource,
  InvalidOptionError,
  type OptionSource,
} from "../errors/invalid-option-error.js";
import { pemProblem, quotePath } from "../util/pem.js";
import { mustBe, type OptionKind, showValue } from "./option-kind.js";

/**
 * PEM text holding a `label` block ("CERTIFICATE", "PRIVATE KEY"): as an option, the text itself;
 * as a variable, the path of a file holding it. Messages quote a path, never PEM text.
 */
export function pem(label: string): OptionKind<string | Buffer> {
  const expected = `PEM text with a "-----BEGIN ${label}-----" block`;
  return {
    name: "pem",
    expected,
    expectedInEnv: `the path of a file holding ${expected}`,
    fromOption(value: unknown, source: OptionSource): string | Buffer {
      if (typeof value !== "string" && !Buffer.isBuffer(value)) {
        throw mustBe(source, expected, showValue(value));
      }
      const problem = pemProblem(value, label);
      if (problem === undefined) return value;
      throw new InvalidOptionError(source, `${describeSource(source)} ${problem}`);
    },
    fromEnv(path: string, source: OptionSource): Buffer {
      const where = describeSource(source);
      let text: Buffer;
      try {
        text = readFileSync(path);
      } catch (error) {
        const code = (error as { code?: string }).code ?? String(error);
        throw new InvalidOptionError(source, `${where}: cannot read ${quotePath(path)} (${code})`);
      }
      const problem = pemProblem(text, label);
      if (problem === undefined) return text;
      // A file's contents were read here: pemProblem's hint about paths does not apply.
      const withoutHint = problem.replace(/ \(the file's contents, not its path\)$/, "");
      throw new InvalidOptionError(source, `${where}: ${quotePath(path)} ${withoutHint}`);
    },
  };
}
