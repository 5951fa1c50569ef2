import { Option } from "commander";
import { parseScope } from "./parse-options.js";

/**
 * `--scope key=value[,key=value]`, shared by every command that filters by or assigns a scope;
 * mandatory where the service needs one (memories always belong to a scope).
 */
export function scopeOption(description: string, options: { required?: boolean } = {}): Option {
  const option = new Option(
    "--scope <key=value>",
    `${description}, key=value[,key=value]${options.required ? " (required)" : ""}`,
  ).argParser(parseScope);
  return options.required ? option.makeOptionMandatory() : option;
}
